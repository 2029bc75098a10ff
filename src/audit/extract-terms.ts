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

type Accessor = (entry: unknown) => unknown;

// Compiled from our own catalog (never from user input): `e?.["request"]?.["remote_address"]`.
function compileAccessor(path: string): { get: Accessor; each: boolean } {
  const parts = path.split(".");
  const each = parts[parts.length - 1]!.endsWith("[]");
  const keys = parts.map((p) => (p.endsWith("[]") ? p.slice(0, -2) : p));
  if (keys.slice(0, -1).some((k) => k.endsWith("[]"))) throw new Error(`unsupported path ${path}`);
  const body = "return e" + keys.map((k) => `?.[${JSON.stringify(k)}]`).join("") + ";";
  return { get: new Function("e", body) as Accessor, each };
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

/** `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` straight to its term; undefined for any other shape. */
function fastTimeTerm(text: string): string | undefined {
  const len = text.length;
  if (len < 20 || text.charCodeAt(len - 1) !== 90 /* Z */ || text.charCodeAt(10) !== 84)
    return undefined;
  const day = text.slice(0, 10);
  if (day !== lastDay) {
    const ms = Date.parse(day + "T00:00:00Z");
    if (Number.isNaN(ms)) return undefined;
    lastDay = day;
    lastDaySeconds = ms / 1000;
  }
  const h = digit(text, 11) * 10 + digit(text, 12);
  const m = digit(text, 14) * 10 + digit(text, 15);
  const s = digit(text, 17) * 10 + digit(text, 18);
  if (!(h <= 23 && m <= 59 && s <= 60) || text[13] !== ":" || text[16] !== ":") return undefined;
  let nanos = 0;
  if (len > 20) {
    if (text.charCodeAt(19) !== 46 || len > 30) return undefined;
    let scale = 100_000_000;
    for (let i = 20; i < len - 1; i++) {
      const d = digit(text, i);
      if (d < 0 || d > 9) return undefined;
      nanos += d * scale;
      scale /= 10;
    }
  } else if (text.charCodeAt(19) !== 90) {
    return undefined;
  }
  const seconds = lastDaySeconds + h * 3600 + m * 60 + s;
  // 8 bytes of seconds + 2^62, then 4 bytes of nanoseconds, big-endian (time-key.ts).
  const hi = 0x40000000 + Math.floor(seconds / 0x100000000);
  const lo = seconds >>> 0;
  return wordText(hi) + wordText(lo) + wordText(nanos);
}

/**
 * Receives (index of the field in FIELDS, the value's text). The same text may come twice for one
 * entry. Texts, not terms: turning a text into its term is done once per distinct text
 * (termForText), not once per occurrence: an HMAC recurs in token, accessor and hmac and across
 * request and response, and hashing the raw string once is the cheapest key there is.
 */
export type TextSink = (fieldIndex: number, text: string) => void;

interface CompiledField {
  readonly index: number;
  readonly accessors: readonly { get: Accessor; forwarded: boolean }[];
}

export class TermExtractor {
  private readonly fields: CompiledField[] = [];
  private readonly hmacIndex = FIELDS.findIndex((f) => f.name === "hmac");

  constructor() {
    FIELDS.forEach((spec, index) => {
      if (spec.name === "hmac") return;
      const accessors = spec.paths.map((p) => ({
        get: compileAccessor(p).get,
        forwarded: spec.name === "ip" && p !== "request.remote_address",
      }));
      this.fields.push({ index, accessors });
    });
  }

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
    for (const field of this.fields) {
      for (const acc of field.accessors) {
        const v = acc.get(entry);
        if (v === undefined || v === null) continue;
        if (Array.isArray(v)) {
          for (const item of v) this.emitValue(field.index, item, acc.forwarded, sink);
        } else {
          this.emitValue(field.index, v, acc.forwarded, sink);
        }
      }
    }
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
