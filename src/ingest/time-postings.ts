// Posting lists of the `time` field built without a Map: nearly every entry has its own time, so
// a Map keyed by the time text grew by one key a record and, with turning each key into its term
// and sorting the keys as strings, cost an ingest worker about a tenth of its time. Each UTC time
// becomes (its term's three words, record id) in typed arrays, sorted once at the end: audit logs
// are written in time order, so the sort mostly confirms runs that are already in order.
import { utcTimeWords } from "../audit/extract-terms.js";
import { wordText } from "../audit/index-term.js";
import { writeU32 } from "../codec/byte-writer.js";
import type { TermPagesWriter } from "../codec/term-pages.js";

/** What the time terms of a chunk span, for the segment's metadata. */
export interface TimeSpan {
  /** Smallest and largest term (binary strings); undefined when there were none. */
  readonly min: string | undefined;
  readonly max: string | undefined;
  /** Records with a time (each record adds at most one). */
  readonly records: number;
}

export class TimePostings {
  private seconds0 = new Uint32Array(1024);
  private seconds1 = new Uint32Array(1024);
  private nanos = new Uint32Array(1024);
  private ids = new Uint32Array(1024);
  private readonly words = new Uint32Array(3);
  length = 0;

  /** Add a record's time; false when the text is not a UTC time of the usual shape (Map path). */
  add(text: string, id: number): boolean {
    if (!utcTimeWords(text, this.words)) return false;
    if (this.length === this.ids.length) this.grow();
    const n = this.length++;
    this.seconds0[n] = this.words[0]!;
    this.seconds1[n] = this.words[1]!;
    this.nanos[n] = this.words[2]!;
    this.ids[n] = id;
    return true;
  }

  private grow(): void {
    const size = this.ids.length * 2;
    const grown = (a: Uint32Array) => {
      const b = new Uint32Array(size);
      b.set(a);
      return b;
    };
    this.seconds0 = grown(this.seconds0);
    this.seconds1 = grown(this.seconds1);
    this.nanos = grown(this.nanos);
    this.ids = grown(this.ids);
  }

  private termAt(i: number): string {
    return wordText(this.seconds0[i]!) + wordText(this.seconds1[i]!) + wordText(this.nanos[i]!);
  }

  /** Occurrence indexes in term order; equal terms keep the order they were added in (ids ascending). */
  private order(): number[] {
    const { seconds0: a, seconds1: b, nanos: c } = this;
    const order = Array.from({ length: this.length }, (_, i) => i);
    let sorted = true;
    for (let i = 1; i < this.length && sorted; i++) {
      sorted =
        a[i - 1]! < a[i]! ||
        (a[i - 1] === a[i] && (b[i - 1]! < b[i]! || (b[i - 1] === b[i] && c[i - 1]! <= c[i]!)));
    }
    if (!sorted) order.sort((x, y) => a[x]! - a[y]! || b[x]! - b[y]! || c[x]! - c[y]! || x - y);
    return order;
  }

  private sameTerm(x: number, y: number): boolean {
    return (
      this.seconds0[x] === this.seconds0[y] &&
      this.seconds1[x] === this.seconds1[y] &&
      this.nanos[x] === this.nanos[y]
    );
  }

  /** Add every term, in byte order, with its ascending ids, to a page writer. */
  writeTo(writer: TermPagesWriter): TimeSpan {
    const n = this.length;
    if (n === 0) return { min: undefined, max: undefined, records: 0 };
    const order = this.order();
    const ids = new Uint32Array(n);
    for (let i = 0; i < n; i++) ids[i] = this.ids[order[i]!]!;
    const term = new Uint8Array(12);
    let i = 0;
    while (i < n) {
      const first = order[i]!;
      const from = i;
      while (i < n && this.sameTerm(order[i]!, first)) i++;
      writeU32(term, 0, this.seconds0[first]!);
      writeU32(term, 4, this.seconds1[first]!);
      writeU32(term, 8, this.nanos[first]!);
      writer.add(term, ids, from, i);
    }
    return { min: this.termAt(order[0]!), max: this.termAt(order[n - 1]!), records: n };
  }

  /** Term → ascending ids, for merging with the terms of texts the fast path refused. */
  collect(out: Map<string, number[]>): void {
    const order = this.order();
    for (let i = 0; i < order.length;) {
      const first = order[i]!;
      const term = this.termAt(first);
      const ids = out.get(term) ?? [];
      const mine: number[] = [];
      for (; i < order.length && this.sameTerm(order[i]!, first); i++)
        mine.push(this.ids[order[i]!]!);
      out.set(
        term,
        ids.length === 0 ? mine : [...new Set([...ids, ...mine])].sort((x, y) => x - y),
      );
    }
  }
}
