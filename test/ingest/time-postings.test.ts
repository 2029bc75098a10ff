// The `time` field's typed-array postings (ingest/time-postings.ts) against the obvious Map of
// term → ascending ids, and a whole index against the plain scan when times come out of order,
// repeat, and mix the fast UTC shape with offsets (which take the Map path and must merge).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "vitest";
import { termOf } from "../../src/audit/index-term.js";
import { encodeTermPages, TermPagesWriter } from "../../src/codec/term-pages.js";
import { openIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { TimePostings } from "../../src/ingest/time-postings.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { rfc3339Nanos } from "../oracle/scan-log.js";

const tempDir = tempDirs("bg-time-");

function lcg(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) >>> 0) % 1_000_000) / 1_000_000;
}

/** A UTC time `i` tenths of a second (plus some nanoseconds) after a fixed start. */
function utc(i: number, nanos = 0): string {
  const base = Date.UTC(2026, 10, 23, 23, 59, 0) + i * 100;
  const iso = new Date(base).toISOString(); // …:SS.mmmZ
  return nanos === 0 ? iso : iso.slice(0, 23) + String(nanos).padStart(6, "0") + "Z";
}

test("shuffled, repeated UTC times encode exactly as the Map of terms to ascending ids", () => {
  const rand = lcg(99);
  const postings = new TimePostings();
  const expected = new Map<string, number[]>();
  for (let id = 0; id < 20_000; id++) {
    const text = utc(Math.floor(rand() * 3000), rand() < 0.3 ? 1 + Math.floor(rand() * 999) : 0);
    expect(postings.add(text, id)).toBe(true);
    const term = termOf("time", text)!;
    const ids = expected.get(term) ?? [];
    ids.push(id);
    expected.set(term, ids);
  }
  const sorted = [...expected.keys()].sort();
  const viaMap = encodeTermPages(sorted, expected, 20_000);
  const writer = new TermPagesWriter(20_000);
  const span = postings.writeTo(writer);
  const streamed = writer.finish();
  expect(span).toEqual({ min: sorted[0], max: sorted[sorted.length - 1], records: 20_000 });
  expect(streamed.termCount).toBe(viaMap.termCount);
  expect(Buffer.from(streamed.directory)).toEqual(Buffer.from(viaMap.directory));
  expect(streamed.pages.map((p) => Buffer.from(p))).toEqual(
    viaMap.pages.map((p) => Buffer.from(p)),
  );

  const merged = new Map([[termOf("time", utc(5))!, [20_001]]]);
  postings.collect(merged);
  const five = expected.get(termOf("time", utc(5))!) ?? [];
  expect(merged.get(termOf("time", utc(5))!)).toEqual([...five, 20_001]);
  expect(merged.size).toBe(expected.size + (five.length === 0 ? 1 : 0));
});

test("a time that is not plain UTC is refused (it takes the Map path)", () => {
  const postings = new TimePostings();
  for (const text of [
    "2026-11-23T10:00:00+02:00",
    "2026-11-23 10:00:00Z",
    "2026-13-40T10:00:00Z",
    "x",
  ]) {
    expect(postings.add(text, 0)).toBe(false);
  }
  expect(postings.length).toBe(0);
});

test("an index of out-of-order times in mixed shapes answers each instant as the scan does", async () => {
  const rand = lcg(7);
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const instant = Math.floor(rand() * 150);
    // The same instant written three ways: Z with milliseconds, an offset, and lowercase `z`.
    const z = utc(instant);
    const shape = rand();
    const hours = new Date(Date.parse(z) + 2 * 3600_000).toISOString().slice(0, 23);
    const time = shape < 0.6 ? z : shape < 0.8 ? `${hours}+02:00` : z.slice(0, -1) + "z";
    lines.push(JSON.stringify({ time, type: "request", request: { id: `r${i}`, path: "p" } }));
  }
  const dir = tempDir();
  const file = path.join(dir, "audit.log");
  writeFileSync(file, lines.join("\n") + "\n");
  const db = path.join(dir, "db");
  await indexFiles(db, [file], { workers: 2, chunkBytes: 32 << 10 });

  const byInstant = new Map<bigint, string[]>();
  for (const line of lines) {
    const ns = rfc3339Nanos((JSON.parse(line) as { time: string }).time)!;
    byInstant.set(ns, [...(byInstant.get(ns) ?? []), line]);
  }
  const ix = openIndex(db);
  try {
    expect(byInstant.size).toBeGreaterThan(100);
    for (const [ns, want] of byInstant) {
      const text = new Date(Number(ns / 1_000_000n)).toISOString();
      const got = ix.postings("time", text).map((id) => ix.line(id).toString("utf8"));
      expect(got.sort()).toEqual([...want].sort());
    }
    const all = [...byInstant.keys()].sort((a, b) => (a < b ? -1 : 1));
    const stats = ix.stats();
    expect(Date.parse(stats.firstTime!)).toBe(Number(all[0]! / 1_000_000n));
    expect(Date.parse(stats.lastTime!)).toBe(Number(all[all.length - 1]! / 1_000_000n));
  } finally {
    await ix.close();
  }
});
