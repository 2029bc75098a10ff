// Term pages round-trip: every term's posting list comes back exactly, sparse and dense, across
// page boundaries, and lookups of absent terms find nothing; a damaged page or directory is a
// ChecksumError.
import { describe, expect, test } from "vitest";
import { ChecksumError } from "../../src/codec/checksum.js";
import { newBitset, TermDirectory, TermPage, encodeTermPages } from "../../src/codec/term-pages.js";

function bitsToIds(bits: Uint32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bits.length * 32; i++) if (bits[i >>> 5]! & (1 << (i & 31))) out.push(i);
  return out;
}

function lookup(
  dirBytes: Uint8Array,
  pages: Uint8Array[],
  term: string,
  records: number,
): number[] | undefined {
  const dir = new TermDirectory(dirBytes);
  const key = Buffer.from(term, "latin1");
  const p = dir.pageFor(key);
  if (p < 0) return undefined;
  const page = new TermPage(pages[p]!);
  const i = page.lowerBound(key);
  if (i >= page.count || !page.term(i).equals(key)) return undefined;
  const bits = newBitset(records);
  page.addPostings(i, bits, records);
  expect(page.postingCount(i)).toBe(bitsToIds(bits).length);
  return bitsToIds(bits);
}

describe("term pages", () => {
  const records = 5000;
  // Deterministic: term k holds ids k, k+7, k+14, … (sparse) except a few dense ones.
  const terms = Array.from(
    { length: 3000 },
    (_, k) => `\u0000term-${String(k).padStart(5, "0")}`,
  ).sort();
  const postings = new Map<string, number[]>();
  terms.forEach((t, k) => {
    const step = k % 500 === 0 ? 1 : 7 + (k % 13);
    const ids: number[] = [];
    for (let id = k % records; id < records; id += step) ids.push(id);
    postings.set(t, ids);
  });
  const encoded = encodeTermPages(terms, postings, records);

  test("a dictionary of 3,000 terms spans several pages", () => {
    expect(encoded.pages.length).toBeGreaterThan(5);
    expect(encoded.termCount).toBe(3000);
  });

  test.each([0, 1, 499, 500, 1234, 2999])("term %i comes back with exactly its ids", (k) => {
    const term = terms[k]!;
    expect(lookup(encoded.directory, encoded.pages, term, records)).toEqual(postings.get(term));
  });

  test.each(["\u0000", "\u0000term-0", "\u0000term-99999", "\u0001x", "\u0000term-01000x"])(
    "an absent term %j finds nothing",
    (term) => {
      expect(lookup(encoded.directory, encoded.pages, term, records)).toBeUndefined();
    },
  );

  test.each([0, 1, 500, 1234])(
    "term %i: countIn and firstIn agree with its ids against a bitset of matches",
    (k) => {
      const term = terms[k]!;
      const dir = new TermDirectory(encoded.directory);
      const key = Buffer.from(term, "latin1");
      const page = new TermPage(encoded.pages[dir.pageFor(key)]!);
      const i = page.lowerBound(key);
      const ids = postings.get(term)!;
      // Matches: every third record from 1000 on, then none at all.
      const matches = newBitset(records);
      for (let id = 1000; id < records; id += 3) matches[id >>> 5]! |= 1 << (id & 31);
      const hits = ids.filter((id) => id >= 1000 && (id - 1000) % 3 === 0);
      expect(page.countIn(i, matches, records)).toBe(hits.length);
      expect(page.firstIn(i, matches, records)).toBe(hits[0] ?? -1);
      const none = newBitset(records);
      expect(page.countIn(i, none, records)).toBe(0);
      expect(page.firstIn(i, none, records)).toBe(-1);
    },
  );

  test("multi-byte varints round-trip: long terms, wide gaps between ids, long lists", () => {
    const records = 3_000_000;
    const long = "\u0000" + "x".repeat(300); // its length takes two varint bytes
    const wide = [5, 20_000, 2_100_000, 2_999_999]; // deltas of one, three and four bytes
    const many = Array.from({ length: 20_000 }, (_, k) => k * 37); // a count header of 3 bytes
    const terms = ["\u0000a", long, "\u0000z"];
    const postings = new Map([
      ["\u0000a", wide],
      [long, many],
      ["\u0000z", [records - 1]],
    ]);
    const encoded = encodeTermPages(terms, postings, records);
    for (const term of terms) {
      expect(lookup(encoded.directory, encoded.pages, term, records)).toEqual(postings.get(term));
    }
  });

  test("a segment of one record with one term round-trips", () => {
    const one = encodeTermPages(["\u0000a"], new Map([["\u0000a", [0]]]), 1);
    expect(lookup(one.directory, one.pages, "\u0000a", 1)).toEqual([0]);
  });
});

describe("damaged term pages", () => {
  const records = 2000;
  const terms = Array.from({ length: 600 }, (_, k) => `term-${String(k).padStart(4, "0")}`);
  const postings = new Map(terms.map((t, k) => [t, [k % records, (k * 7) % records]]));
  for (const ids of postings.values()) ids.sort((a, b) => a - b);
  const encoded = encodeTermPages(terms, postings, records);

  test.each([
    ["the first page", () => encoded.pages[0]!, (b: Uint8Array) => new TermPage(b)],
    ["the directory", () => encoded.directory, (b: Uint8Array) => new TermDirectory(b)],
  ])("a flipped byte anywhere in %s is a ChecksumError", (_name, bytesOf, open) => {
    const bytes = bytesOf();
    expect(() => open(bytes)).not.toThrow();
    for (let at = 0; at < bytes.length; at++) {
      const damaged = Uint8Array.from(bytes);
      damaged[at]! ^= 0x01;
      expect(() => open(damaged), `flip at byte ${at}`).toThrow(ChecksumError);
    }
  });

  test("a page cut short is a ChecksumError", () => {
    expect(() => new TermPage(encoded.pages[0]!.subarray(0, 100))).toThrow(ChecksumError);
    expect(() => new TermPage(new Uint8Array(3))).toThrow(ChecksumError);
  });
});
