// One audit entry → what `compare` needs of it: its match key (type and request id), its time,
// and its leaves flattened into two strings, the unhashed ones and the HMAC'd ones, each
// `location<US>value<RS>` in the entry's key order. Two devices write the same entry with the
// same structure, so equal strings mean equal entries (the usual case, one string compare); only
// when they differ are they split again (leaves()) to say where. Pure; safe in workers.
// Cost: one walk over the parsed entry, one JSON.stringify per string leaf (so no value can hold
// a separator: a control character comes out escaped).
import { HMAC_PREFIX } from "../audit/audit-hmac.js";
import { parseInstant } from "../audit/time-key.js";

/** Separates a leaf's location from its value. */
export const FIELD_SEP = "\u001f";
/** Ends a leaf. */
export const LEAF_SEP = "\u001e";

export interface EntrySummary {
  /** `type` NUL `request.id` (empty when the entry has none). */
  readonly key: string;
  /** `time` as written ("" when absent). */
  readonly time: string;
  /** `time` in milliseconds since 1970 (NaN when absent or unparsable). */
  readonly timeMs: number;
  /** request.path, for findings a person reads ("" when absent). */
  readonly path: string;
  /** Unhashed leaves other than `time`. */
  readonly plain: string;
  /** HMAC'd leaves (`hmac-sha256:…` strings). */
  readonly hmacs: string;
}

const PLAIN_KEY = /^[A-Za-z0-9_\-/:@]+$/;

function segment(key: string): string {
  return PLAIN_KEY.test(key) ? key : JSON.stringify(key);
}

/** Leaves gathered as parts and joined once: a string built by `+=` is a rope of thousands of
 * pieces, and a chunk's ropes kept until it is sent made the worker spend half its time in GC. */
class Flattener {
  readonly plain: string[] = [];
  readonly hmacs: string[] = [];

  walk(node: unknown, at: string): void {
    if (node === null || typeof node !== "object") {
      if (typeof node === "string" && node.startsWith(HMAC_PREFIX)) {
        this.hmacs.push(at, FIELD_SEP, node, LEAF_SEP);
      } else {
        this.plain.push(at, FIELD_SEP, JSON.stringify(node), LEAF_SEP);
      }
      return;
    }
    if (Array.isArray(node)) {
      if (node.length === 0) this.plain.push(at, FIELD_SEP, "[]", LEAF_SEP);
      for (let i = 0; i < node.length; i++) this.walk(node[i], `${at}[${i}]`);
      return;
    }
    let empty = true;
    for (const key in node) {
      empty = false;
      const child = (node as Record<string, unknown>)[key];
      this.walk(child, at === "" ? segment(key) : `${at}.${segment(key)}`);
    }
    if (empty) this.plain.push(at, FIELD_SEP, "{}", LEAF_SEP);
  }
}

/** Milliseconds since 1970 of an RFC 3339 time (microseconds kept), NaN when it is not one. */
export function timeMsOf(text: string): number {
  const t = parseInstant(text);
  return t === undefined ? NaN : t.seconds * 1000 + t.nanos / 1e6;
}

/** What identifies a parsed audit entry (an object with a string `type`): no leaf flattened. */
export function identifyEntry(
  entry: Record<string, unknown>,
): Pick<EntrySummary, "key" | "time" | "timeMs" | "path"> {
  const t = entry.time;
  const time = typeof t === "string" ? t : "";
  const request = entry.request as Record<string, unknown> | undefined;
  const id = request?.id;
  const path = request?.path;
  return {
    key: `${entry.type as string}\u0000${typeof id === "string" ? id : ""}`,
    time,
    timeMs: time === "" ? NaN : timeMsOf(time),
    path: typeof path === "string" ? path : "",
  };
}

/** The summary of a parsed audit entry (an object with a string `type`). */
export function summarizeEntry(entry: Record<string, unknown>): EntrySummary {
  const f = new Flattener();
  for (const key in entry) {
    const value = entry[key];
    if (!(key === "time" && typeof value === "string")) f.walk(value, segment(key));
  }
  return { ...identifyEntry(entry), plain: f.plain.join(""), hmacs: f.hmacs.join("") };
}

/** The leaves of a flattened string, location → value, in order. */
export function leaves(flat: string): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < flat.length) {
    const end = flat.indexOf(LEAF_SEP, at);
    const sep = flat.indexOf(FIELD_SEP, at);
    out.set(flat.slice(at, sep), flat.slice(sep + 1, end));
    at = end + 1;
  }
  return out;
}

/** The type and request id of a key. */
export function splitKey(key: string): { type: string; requestId: string } {
  const nul = key.indexOf("\u0000");
  return { type: key.slice(0, nul), requestId: key.slice(nul + 1) };
}
