// Entries read in place: `compare`'s fast path. Flattening every leaf of every entry
// (compare-entry.ts) and copying those strings to the main thread cost more than parsing the
// JSON (on the 50 MB bench pair: ~4 s of worker time and ~2 s of copying, against ~1.4 s to parse).
// Instead, the worker records where an entry's JSON text is in its chunk (shared memory, which the
// main thread keeps until the entry is matched), where in that text are the values two devices
// may write differently (masks: the top-level `time` and every HMAC value), and the first 64 bits
// of each HMAC value in the order the flattening walks them (the only part the HMAC mapping
// needs, compare-hmac-mapping.ts).
//
// Why equal bytes outside the masks mean "the same entry": the masks are string values (an HMAC on
// both sides, or the top-level time), everything else is byte for byte the same JSON text, so the
// two parse to the same structure with the same plain leaves, and their HMAC leaves sit at the
// same places: the two lists of HMAC words pair up position by position, as the flattened strings'
// leaves do. When the bytes differ the main thread parses both entries again and compares them as
// before (a tampered or odd entry: rare). Exact: bytes are compared, never a hash an attacker could
// aim a forged line at.
//
// Halves: inPlaceEntry (worker) finds the masks and words; sameOutsideMasks (main thread) compares.
// Cost: the worker, one indexOf pass over the text and one walk over the parsed entry; the main
// thread, one bounded memcmp per stretch between masks.
import { HMAC_PREFIX } from "../audit/audit-hmac.js";
import { hexWord } from "./compare-hmac-mapping.js";

const BACKSLASH = 92;
const COLON = 58;
const TIME_OPEN = '{"time":"';
const HMAC_OPEN = `"${HMAC_PREFIX}`;

/** Where the entries of a chunk read in place are, column by column (one slot per entry). */
export interface InPlaceColumns {
  /** Byte offset in the chunk of the entry's JSON text; -1 when the entry was flattened instead. */
  readonly jsonStart: Int32Array;
  readonly jsonEnd: Int32Array;
  /** Entry i's masks are masks[2 * maskFrom[i] .. 2 * maskFrom[i + 1]): [start, end) byte pairs. */
  readonly maskFrom: Int32Array;
  readonly masks: Int32Array;
  /** Entry i's HMAC words are words[2 * wordFrom[i] .. 2 * wordFrom[i + 1]): (hi, lo) pairs. */
  readonly wordFrom: Int32Array;
  readonly words: Uint32Array;
}

/** Collects a chunk's columns entry by entry (worker side). */
export class InPlaceBuilder {
  private readonly jsonStart: number[] = [];
  private readonly jsonEnd: number[] = [];
  private readonly maskFrom: number[] = [0];
  private readonly masks: number[] = [];
  private readonly wordFrom: number[] = [0];
  private readonly words: number[] = [];

  /**
   * Entry `entry`, parsed from `text`, whose first character is at byte `start` of the chunk (the
   * text is ASCII: one byte a character). False, with nothing recorded, when the text is not
   * regular enough to be read in place (an escape inside an HMAC token, an HMAC used as a key):
   * the caller then flattens it.
   */
  addInPlace(text: string, entry: Record<string, unknown>, start: number): boolean {
    const masksBefore = this.masks.length;
    if (!this.findMasks(text, start)) {
      this.masks.length = masksBefore;
      return false;
    }
    for (const key in entry) {
      const value = entry[key];
      if (key === "time" && typeof value === "string") continue; // not a leaf (compare-entry.ts)
      this.walk(value);
    }
    this.jsonStart.push(start);
    this.jsonEnd.push(start + text.length);
    this.maskFrom.push(this.masks.length >> 1);
    this.wordFrom.push(this.words.length >> 1);
    return true;
  }

  /** An entry given flattened (its strings travel in the chunk's plains and hmacs). */
  addFlattened(): void {
    this.jsonStart.push(-1);
    this.jsonEnd.push(-1);
    this.maskFrom.push(this.masks.length >> 1);
    this.wordFrom.push(this.words.length >> 1);
  }

  finish(): InPlaceColumns {
    return {
      jsonStart: Int32Array.from(this.jsonStart),
      jsonEnd: Int32Array.from(this.jsonEnd),
      maskFrom: Int32Array.from(this.maskFrom),
      masks: Int32Array.from(this.masks),
      wordFrom: Int32Array.from(this.wordFrom),
      words: Uint32Array.from(this.words),
    };
  }

  private findMasks(text: string, start: number): boolean {
    const masks = this.masks;
    let scanFrom = 0;
    if (text.startsWith(TIME_OPEN)) {
      const from = TIME_OPEN.length;
      const close = text.indexOf('"', from);
      let plain = close > 0;
      for (let i = from; plain && i < close; i++)
        if (text.charCodeAt(i) === BACKSLASH) plain = false;
      // An escaped time is left unmasked: compared as bytes, it only sends the entry the slow way.
      if (plain) {
        masks.push(start + from, start + close);
        scanFrom = close + 1;
      }
    }
    let backslash = text.indexOf("\\", scanFrom);
    for (let at = text.indexOf(HMAC_OPEN, scanFrom); at >= 0;) {
      // Inside a string a quote is always escaped, so an unescaped one opens a string here.
      if (text.charCodeAt(at - 1) === BACKSLASH) return false;
      const from = at + 1;
      const close = text.indexOf('"', from + HMAC_PREFIX.length);
      if (close < 0) return false;
      if (backslash >= 0 && backslash < from) backslash = text.indexOf("\\", from);
      if (backslash >= 0 && backslash < close) return false; // an escape: the decoded value differs
      let next = close + 1;
      for (let c = text.charCodeAt(next); c === 32 || c === 9 || c === 10 || c === 13;) {
        c = text.charCodeAt(++next);
      }
      if (text.charCodeAt(next) === COLON) return false; // a key, not a value
      masks.push(start + from, start + close);
      at = text.indexOf(HMAC_OPEN, close + 1);
    }
    return true;
  }

  /** The HMAC values under `node`, in the flattening's order (compare-entry.ts). */
  private walk(node: unknown): void {
    if (typeof node === "string") {
      if (node.startsWith(HMAC_PREFIX)) {
        this.words.push(hexWord(node, HMAC_PREFIX.length), hexWord(node, HMAC_PREFIX.length + 8));
      }
      return;
    }
    if (node === null || typeof node !== "object") return;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) this.walk(node[i]);
      return;
    }
    for (const key in node) this.walk((node as Record<string, unknown>)[key]);
  }
}

/**
 * True when entries `i` of chunk `a` and `j` of chunk `b`, both read in place, have the same bytes
 * outside their masks (so the same plain leaves, and their HMAC leaves at the same places).
 */
export function sameOutsideMasks(
  a: { readonly bytes: Buffer; readonly columns: InPlaceColumns },
  i: number,
  b: { readonly bytes: Buffer; readonly columns: InPlaceColumns },
  j: number,
): boolean {
  const ca = a.columns;
  const cb = b.columns;
  const fromA = ca.maskFrom[i]!;
  const fromB = cb.maskFrom[j]!;
  const n = ca.maskFrom[i + 1]! - fromA;
  if (cb.maskFrom[j + 1]! - fromB !== n) return false;
  let pa = ca.jsonStart[i]!;
  let pb = cb.jsonStart[j]!;
  for (let k = 0; k <= n; k++) {
    const endA = k < n ? ca.masks[2 * (fromA + k)]! : ca.jsonEnd[i]!;
    const endB = k < n ? cb.masks[2 * (fromB + k)]! : cb.jsonEnd[j]!;
    if (endA - pa !== endB - pb) return false;
    if (endA > pa && a.bytes.compare(b.bytes, pb, endB, pa, endA) !== 0) return false;
    if (k < n) {
      pa = ca.masks[2 * (fromA + k) + 1]!;
      pb = cb.masks[2 * (fromB + k) + 1]!;
    }
  }
  return true;
}
