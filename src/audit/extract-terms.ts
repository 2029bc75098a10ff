// Entry → index terms for every catalog field: the ingest hot path. Reads by name through accessors
// compiled once from the catalog's paths, so key order never matters and missing objects cost
// nothing. Pure; safe in workers. Semantics are those of catalogFieldValues + termOf (test/audit
// checks they agree); this module only makes them fast: values are collected as texts; IPv4 and
// UTC times become terms through allocation-light fast paths, once per distinct text (HMACs take
// the typed-array path of ingest/hmac-postings.ts).
import { HMAC_PREFIX } from "./audit-hmac.js";
import { catalogFieldValues } from "./audit-entry.js";
import { FIELDS } from "./field-catalog.js";
import { termOf, wordText } from "./index-term.js";

/** Calls visit(field index, value, forwarded) for every catalog path's value that is present. */
type PathReader = (
  entry: unknown,
  visit: (index: number, value: unknown, forwarded: boolean) => void,
) => void;

interface PathNode {
  readonly children: Map<string, PathNode>;
  readonly leaves: { index: number; forwarded: boolean }[];
}

/**
 * One function that reads every catalog path (but `hmac`'s) of an entry, compiled once from our
 * own catalog (never from user input). Paths share their parents: `request` is read once for
 * its seven fields, not once per path as separate accessors did. Reads by name only, so key
 * order never matters, and a missing object ends its branch.
 */
function compilePathReader(): PathReader {
  const root: PathNode = { children: new Map(), leaves: [] };
  FIELDS.forEach((spec, index) => {
    if (spec.name === "hmac") return;
    for (const path of spec.paths) {
      const parts = path.split(".");
      if (parts.slice(0, -1).some((k) => k.endsWith("[]"))) {
        throw new Error(`unsupported path ${path}`);
      }
      let node = root;
      for (const part of parts) {
        const key = part.endsWith("[]") ? part.slice(0, -2) : part;
        let next = node.children.get(key);
        if (!next) node.children.set(key, (next = { children: new Map(), leaves: [] }));
        node = next;
      }
      node.leaves.push({
        index,
        forwarded: spec.name === "ip" && path !== "request.remote_address",
      });
    }
  });
  let names = 0;
  const read = (node: PathNode, v: string): string => {
    let code = "";
    for (const leaf of node.leaves) code += `visit(${leaf.index}, ${v}, ${leaf.forwarded});\n`;
    for (const [key, child] of node.children) {
      const name = `v${++names}`;
      code += `{ const ${name} = ${v}[${JSON.stringify(key)}];\n`;
      code += `if (${name} !== undefined && ${name} !== null) {\n${read(child, name)}} }\n`;
    }
    return code;
  };
  return new Function("e", "visit", read(root, "e")) as PathReader;
}

const V4_HEAD = "\0\0\0\0\0\0\0\0\0\0\xff\xff";

/** Dotted-quad IPv4 (no port) straight to its term; undefined when not that shape. */
function fastV4Term(text: string): string | undefined {
  let n = 0;
  let digits = 0;
  let parts = 0;
  let out = V4_HEAD;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      n = n * 10 + c - 48;
      if (++digits > 3 || n > 255) return undefined;
    } else if (c === 46 && digits > 0 && parts < 3) {
      out += String.fromCharCode(n);
      parts++;
      n = 0;
      digits = 0;
    } else {
      return undefined;
    }
  }
  if (parts !== 3 || digits === 0) return undefined;
  return out + String.fromCharCode(n);
}

let lastDay = "";
let lastDaySeconds = 0;

function digit(s: string, i: number): number {
  return s.charCodeAt(i) - 48;
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` straight to the three big-endian u32 words of its term (8 bytes
 * of seconds + 2^62, then 4 bytes of nanoseconds: time-key.ts), written to `words`; false for
 * any other shape (termOf("time") then decides).
 */
export function utcTimeWords(text: string, words: Uint32Array): boolean {
  const len = text.length;
  if (len < 20 || text.charCodeAt(len - 1) !== 90 /* Z */ || text.charCodeAt(10) !== 84)
    return false;
  // Most times share the previous one's day: compare in place rather than slice a new string.
  if (lastDay === "" || !text.startsWith(lastDay)) {
    const day = text.slice(0, 10);
    const ms = Date.parse(day + "T00:00:00Z");
    if (Number.isNaN(ms)) return false;
    lastDay = day;
    lastDaySeconds = ms / 1000;
  }
  const h = digit(text, 11) * 10 + digit(text, 12);
  const m = digit(text, 14) * 10 + digit(text, 15);
  const s = digit(text, 17) * 10 + digit(text, 18);
  if (!(h <= 23 && m <= 59 && s <= 60) || text[13] !== ":" || text[16] !== ":") return false;
  let nanos = 0;
  if (len > 20) {
    if (text.charCodeAt(19) !== 46 || len > 30) return false;
    let scale = 100_000_000;
    for (let i = 20; i < len - 1; i++) {
      const d = digit(text, i);
      if (d < 0 || d > 9) return false;
      nanos += d * scale;
      scale /= 10;
    }
  } else if (text.charCodeAt(19) !== 90) {
    return false;
  }
  const seconds = lastDaySeconds + h * 3600 + m * 60 + s;
  words[0] = 0x40000000 + Math.floor(seconds / 0x100000000);
  words[1] = seconds >>> 0;
  words[2] = nanos;
  return true;
}

const timeWords = new Uint32Array(3);

/** `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` straight to its term; undefined for any other shape. */
function fastTimeTerm(text: string): string | undefined {
  if (!utcTimeWords(text, timeWords)) return undefined;
  return wordText(timeWords[0]!) + wordText(timeWords[1]!) + wordText(timeWords[2]!);
}

/**
 * Receives (index of the field in FIELDS, the value's text). The same text may come twice for one
 * entry. Texts, not terms: turning a text into its term is done once per distinct text
 * (termForText), not once per occurrence: an HMAC recurs in token, accessor and hmac and across
 * request and response, and hashing the raw string once is the cheapest key there is.
 */
export type TextSink = (fieldIndex: number, text: string) => void;

export class TermExtractor {
  private readonly readPaths = compilePathReader();
  private readonly hmacIndex = FIELDS.findIndex((f) => f.name === "hmac");
  private sink: TextSink = () => {};
  private readonly visit = (index: number, value: unknown, forwarded: boolean): void => {
    if (Array.isArray(value)) {
      for (const item of value) this.emitValue(index, item, forwarded, this.sink);
    } else {
      this.emitValue(index, value, forwarded, this.sink);
    }
  };

  private emitValue(index: number, value: unknown, forwarded: boolean, sink: TextSink): void {
    let text: string;
    if (typeof value === "string") text = value;
    else if (typeof value === "number" || typeof value === "boolean") text = String(value);
    else return;
    if (text === "") return;
    if (!forwarded) {
      sink(index, text);
      return;
    }
    // X-Forwarded-For: "client, proxy1, proxy2" (one header value may list several).
    for (const part of text.split(",")) {
      const p = part.trim();
      if (p) sink(index, p);
    }
  }

  private walkHmacs(node: unknown, sink: TextSink): void {
    if (typeof node === "string") {
      if (node.startsWith(HMAC_PREFIX)) sink(this.hmacIndex, node);
    } else if (typeof node === "object" && node !== null) {
      if (Array.isArray(node)) for (const item of node) this.walkHmacs(item, sink);
      else for (const key in node) this.walkHmacs((node as Record<string, unknown>)[key], sink);
    }
  }

  extract(entry: unknown, sink: TextSink): void {
    this.sink = sink;
    this.readPaths(entry, this.visit);
    this.walkHmacs(entry, sink);
  }
}

/** The term of a text of field FIELDS[fieldIndex] (fast paths for IPv4, UTC times, HMACs). */
export function termForText(fieldIndex: number, text: string): string | undefined {
  const kind = FIELDS[fieldIndex]!.kind;
  switch (kind) {
    case "string":
      return termOf("string", text);
    case "time":
      return fastTimeTerm(text) ?? termOf("time", text);
    case "ip":
      return fastV4Term(text) ?? termOf("ip", text);
  }
}

/** The slow, obviously-right definition the fast path must agree with (used by tests). */
export function referenceTerms(entry: unknown): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  FIELDS.forEach((spec, index) => {
    for (const value of catalogFieldValues(entry, spec)) {
      const term = termOf(spec.kind, value);
      if (term === undefined) continue;
      let set = out.get(index);
      if (!set) out.set(index, (set = new Set()));
      set.add(term);
    }
  });
  return out;
}
