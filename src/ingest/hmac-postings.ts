// Posting lists of HMAC values built without a Map: an audit line carries ~15 HMAC strings
// (token, accessor, every hashed datum), and a Map keyed by 76-character strings cost more than
// JSON.parse itself. Each occurrence becomes (first 8 digest bytes, record id) in typed arrays;
// a stable radix sort groups them by digest with ids still ascending.
// The 8-byte digest prefix is the term (index-term.ts): two different HMACs share it with
// probability 2^-64 per pair.
import { hmacTermFromDigest } from "../audit/index-term.js";
import { writeU32 } from "../codec/byte-writer.js";
import type { TermPagesWriter } from "../codec/term-pages.js";

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) HEX[97 + i] = 10 + i;

/** The u32 of hex digits [at, at+8) of text, or -1 when one is not lowercase hex. */
function hexWord(text: string, at: number): number {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const d = HEX[text.charCodeAt(at + i)] ?? -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** True when text is `hmac-sha256:` + 64 lowercase hex digits (checked cheaply: shape + 16 digits). */
export function looksLikeHmac(text: string): boolean {
  return text.length === 76 && text.charCodeAt(11) === 58 && text.startsWith("hmac-sha256:");
}

export class HmacPostings {
  private hi = new Uint32Array(1024);
  private lo = new Uint32Array(1024);
  private ids = new Uint32Array(1024);
  length = 0;

  /** Add an occurrence; false when the text's digest is not lowercase hex (use the Map path). */
  add(text: string, id: number): boolean {
    const hi = hexWord(text, 12);
    const lo = hi < 0 ? -1 : hexWord(text, 20);
    if (lo < 0) return false;
    // The rest must be lowercase hex too, or the value is text (index-term.ts's isAuditHmac).
    for (let i = 28; i < 76; i++) if ((HEX[text.charCodeAt(i)] ?? -1) < 0) return false;
    if (this.length === this.hi.length) this.grow();
    const n = this.length++;
    this.hi[n] = hi;
    this.lo[n] = lo;
    this.ids[n] = id;
    return true;
  }

  private grow(): void {
    const size = this.hi.length * 2;
    const hi = new Uint32Array(size);
    const lo = new Uint32Array(size);
    const ids = new Uint32Array(size);
    hi.set(this.hi);
    lo.set(this.lo);
    ids.set(this.ids);
    this.hi = hi;
    this.lo = lo;
    this.ids = ids;
  }

  /** Group by digest prefix into `out` (term → ascending distinct ids). */
  collect(out: Map<string, number[]>): void {
    const { hi, lo, ids, n } = this.sorted();
    let i = 0;
    while (i < n) {
      const h = hi[i]!;
      const l = lo[i]!;
      const list: number[] = [];
      for (; i < n && hi[i] === h && lo[i] === l; i++) {
        const id = ids[i]!;
        if (list[list.length - 1] !== id) list.push(id);
      }
      out.set(hmacTermFromDigest(h, l), list);
    }
  }

  /** Add every HMAC term, in byte order, to a page writer (after any smaller terms). */
  writeTo(writer: TermPagesWriter): void {
    const { hi, lo, ids, n } = this.sorted();
    const term = new Uint8Array(9);
    term[0] = 1; // TAG_HMAC
    let i = 0;
    while (i < n) {
      const h = hi[i]!;
      const l = lo[i]!;
      const from = i;
      while (i < n && hi[i] === h && lo[i] === l) i++;
      writeU32(term, 1, h);
      writeU32(term, 5, l);
      writer.add(term, ids, from, i);
    }
  }

  /** The occurrences sorted by digest, ids ascending within one digest. */
  private sorted(): { hi: Uint32Array; lo: Uint32Array; ids: Uint32Array; n: number } {
    const n = this.length;
    if (n === 0) return { hi: this.hi, lo: this.lo, ids: this.ids, n };
    let hi = this.hi.subarray(0, n);
    let lo = this.lo.subarray(0, n);
    let ids = this.ids.subarray(0, n);
    let hi2 = new Uint32Array(n);
    let lo2 = new Uint32Array(n);
    let ids2 = new Uint32Array(n);
    const counts = new Uint32Array(65536);
    // Two stable passes of 16 bits over the first digest word; runs of an equal first word are
    // then put in order of the second one (such runs of different values are rare: two of ~50k
    // values in a chunk share 32 bits about once in three chunks).
    for (let pass = 0; pass < 2; pass++) {
      const shift = pass === 0 ? 0 : 16;
      counts.fill(0);
      for (let i = 0; i < n; i++) counts[(hi[i]! >>> shift) & 0xffff]!++;
      let sum = 0;
      for (let d = 0; d < 65536; d++) {
        const c = counts[d]!;
        counts[d] = sum;
        sum += c;
      }
      for (let i = 0; i < n; i++) {
        const at = counts[(hi[i]! >>> shift) & 0xffff]!++;
        hi2[at] = hi[i]!;
        lo2[at] = lo[i]!;
        ids2[at] = ids[i]!;
      }
      [hi, hi2] = [hi2, hi];
      [lo, lo2] = [lo2, lo];
      [ids, ids2] = [ids2, ids];
    }
    for (let start = 0; start < n;) {
      let end = start + 1;
      while (end < n && hi[end] === hi[start]) end++;
      // Stable insertion sort of the run by the second word (ids stay ascending within a value).
      for (let i = start + 1; i < end; i++) {
        const l = lo[i]!;
        const id = ids[i]!;
        let j = i - 1;
        while (j >= start && lo[j]! > l) {
          lo[j + 1] = lo[j]!;
          ids[j + 1] = ids[j]!;
          j--;
        }
        lo[j + 1] = l;
        ids[j + 1] = id;
      }
      start = end;
    }
    return { hi, lo, ids, n };
  }
}
