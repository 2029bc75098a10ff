// HMAC postings built by radix sort equal the obvious Map of textTerm → ascending distinct ids.
import { createHash } from "node:crypto";
import { expect, test } from "vitest";
import { textTerm } from "../../src/audit/index-term.js";
import { HmacPostings, looksLikeHmac } from "../../src/ingest/hmac-postings.js";

const hmac = (i: number) => "hmac-sha256:" + createHash("sha256").update(String(i)).digest("hex");

test("radix-sorted HMAC postings equal a Map of terms to ascending distinct ids", () => {
  const postings = new HmacPostings();
  const expected = new Map<string, number[]>();
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) % 1000) / 1000;
  for (let id = 0; id < 20_000; id++) {
    const n = 1 + Math.floor(rand() * 4);
    for (let k = 0; k < n; k++) {
      const value = hmac(Math.floor(rand() * 3000)); // values repeat across and within records
      expect(looksLikeHmac(value)).toBe(true);
      expect(postings.add(value, id)).toBe(true);
      const term = textTerm(value).term;
      const ids = expected.get(term) ?? [];
      if (ids[ids.length - 1] !== id) ids.push(id);
      expected.set(term, ids);
    }
  }
  const got = new Map<string, number[]>();
  postings.collect(got);
  expect(got).toEqual(expected);
});

test("a value that is not lowercase hex is refused (it takes the Map path)", () => {
  const postings = new HmacPostings();
  expect(postings.add("hmac-sha256:" + "G".repeat(64), 0)).toBe(false);
  expect(postings.add("hmac-sha256:" + "AB".repeat(32), 0)).toBe(false);
  expect(postings.length).toBe(0);
});

test("HMAC terms streamed into a page writer encode exactly as through the Map path", async () => {
  const { encodeTermPages, TermPagesWriter } = await import("../../src/codec/term-pages.js");
  const postings = new HmacPostings();
  for (let id = 0; id < 5000; id++) {
    postings.add(hmac(id % 700), id);
    postings.add(hmac((id * 7) % 1300), id);
  }
  const viaMap = new Map<string, number[]>();
  postings.collect(viaMap);
  const expected = encodeTermPages([...viaMap.keys()].sort(), viaMap, 5000);
  const writer = new TermPagesWriter(5000);
  postings.writeTo(writer);
  const streamed = writer.finish();
  expect(streamed.termCount).toBe(expected.termCount);
  expect(Buffer.from(streamed.directory)).toEqual(Buffer.from(expected.directory));
  expect(streamed.pages.map((p) => Buffer.from(p))).toEqual(
    expected.pages.map((p) => Buffer.from(p)),
  );
});

test("a value with a non-hex character past the first 16 digits is text, not an HMAC", () => {
  const postings = new HmacPostings();
  const value = "hmac-sha256:" + "a".repeat(40) + "Z" + "a".repeat(23);
  expect(looksLikeHmac(value)).toBe(true);
  expect(postings.add(value, 0)).toBe(false);
  expect(textTerm(value).term.startsWith("\u0000")).toBe(true);
});
