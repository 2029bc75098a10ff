// Entry → index terms for every catalog field: the ingest hot path. Reads by name through one
// accessor compiled once from the catalog's paths, so key order never matters and missing objects
// cost nothing, then the catalog's derived values (derived-values.ts). Pure; safe in workers.
// Semantics are those of catalogFieldValues + termOf (test/audit checks they agree); this module
// only makes them fast: values are collected as texts, and a text that is no value of its field's
// kind (an `ip` that is no address) simply has no term; IPv4 and UTC times become terms through
// allocation-light fast paths, once per distinct text (HMACs take the typed-array path of
// ingest/hmac-postings.ts).
import { catalogFieldValues, kindValue } from "./audit-entry.js";
import { derivationOf, type TextOut } from "./derived-values.js";
import { FIELDS } from "./field-catalog.js";
import { termOf, wordText } from "./index-term.js";

type Derive = ReturnType<typeof derivationOf>;

/** Calls visit(field index, value) for every catalog path's value that is present. */
type PathReader = (entry: unknown, visit: (index: number, value: unknown) => void) => void;

interface PathNode {
  readonly children: Map<string, PathNode>;
  readonly leaves: number[];
}

/**
 * One function that reads every catalog path of an entry, compiled once from our own catalog
 * (never from user input). Paths share their parents: `request` is read once for its dozen
 * fields, not once per path. `name[]` inside a path walks an array's items (a trailing array is
 * fanned out by the visitor), `*` every value of an object. A missing object ends its branch.
 */
function compilePathReader(): PathReader {
  const root: PathNode = { children: new Map(), leaves: [] };
  FIELDS.forEach((spec, index) => {
    for (const path of spec.paths) {
      const parts = path.split(".");
      let node = root;
      parts.forEach((part, i) => {
        // A trailing `[]` is the visitor's job: the same node as the plain key.
        const key = i === parts.length - 1 && part.endsWith("[]") ? part.slice(0, -2) : part;
        let next = node.children.get(key);
        if (!next) node.children.set(key, (next = { children: new Map(), leaves: [] }));
        node = next;
      });
      node.leaves.push(index);
    }
  });
  let names = 0;
  const read = (node: PathNode, v: string): string => {
    let code = "";
    for (const index of node.leaves) code += `visit(${index}, ${v});\n`;
    for (const [key, child] of node.children) {
      const name = `v${++names}`;
      if (key === "*") {
        const k = `k${names}`;
        code += `if (typeof ${v} === "object" && !Array.isArray(${v})) for (const ${k} in ${v}) {\n`;
        code += `const ${name} = ${v}[${k}];\n`;
        code += `if (${name} !== undefined && ${name} !== null) {\n${read(child, name)}} }\n`;
      } else if (key.endsWith("[]")) {
        const items = `a${names}`;
        const body = read(child, name);
        code += `{ const ${items} = ${v}[${JSON.stringify(key.slice(0, -2))}];\n`;
        code += `if (Array.isArray(${items})) { for (const ${name} of ${items}) `;
        code += `if (${name} !== undefined && ${name} !== null) {\n${body}} }\n`;
        code += `else if (${items} !== undefined && ${items} !== null) { const ${name} = ${items};\n`;
        code += `${body}} }\n`;
      } else {
        code += `{ const ${name} = ${v}[${JSON.stringify(key)}];\n`;
        code += `if (${name} !== undefined && ${name} !== null) {\n${read(child, name)}} }\n`;
      }
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
  private sink: TextSink = () => {};
  /** Fields with derived values: the function and an emitter, made once (no closure per entry). */
  private readonly derived: readonly { derive: Derive; out: TextOut }[] = FIELDS.flatMap(
    (spec, index) =>
      spec.derived
        ? [{ derive: derivationOf(spec.derived), out: (text: string) => this.emit(index, text) }]
        : [],
  );
  private readonly visit = (index: number, value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) this.emitValue(index, item);
    } else {
      this.emitValue(index, value);
    }
  };

  private emitValue(index: number, value: unknown): void {
    if (typeof value === "string") this.emit(index, value);
    else if (typeof value === "number" || typeof value === "boolean")
      this.sink(index, String(value));
  }

  private emit(index: number, text: string): void {
    if (text !== "") this.sink(index, text);
  }

  extract(entry: unknown, sink: TextSink): void {
    this.sink = sink;
    this.readPaths(entry, this.visit);
    for (const d of this.derived) d.derive(entry, d.out);
  }
}

/**
 * The term of a text of field FIELDS[fieldIndex] (fast paths for IPv4, UTC times, HMACs), or
 * undefined when the text is no value of the field's kind, or (a time) has no term.
 */
export function termForText(fieldIndex: number, text: string): string | undefined {
  const kind = FIELDS[fieldIndex]!.kind;
  switch (kind) {
    case "text":
    case "hmac":
      return termOf(kind, text);
    case "number": {
      const value = kindValue(kind, text);
      return value === undefined ? undefined : termOf(kind, value);
    }
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
