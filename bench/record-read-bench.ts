// What does reading one scattered record cost, part decompression and JSON parsing apart? Takes
// every line of an index built from a generated log, cuts them into parts of 16 KiB (the store's)
// and 8 KiB laid out as the store lays them out (u32 count, line offsets, text; LZ4 via
// lz4-napi), picks scattered records (random ids, ascending: about one a part, as `ip = X` reads
// them), then times each way of getting a record's line, in interleaved rounds:
//   napi        lz4-napi uncompressSync of the whole part, a view of the line (part blocks' read)
//   js-full     bench/lz4-js-decoder.ts, the whole part into its reused buffer, the line copied out
//   js-stop     the same, stopped once the line's last byte is out
//   hybrid      js-stop for lines that end in the first 35 % of their part, napi for the others
// each with `+parse` (the record's JSON parsed, as a stage that reads fields does) and without
// (ndjson prints the line's bytes, never parsing it). `crc` is the per-part CRC-32 every store
// read also pays; `store line` is the store's own IndexReader.line of the same ids (a fresh reader
// a round), with `+parse` too. On a small index, e.g.:
//   node dist/bench/generate.js --bytes 100M --out /tmp/rr/audit.log
//   node dist/bundle/main.mjs index --db /tmp/rr/idx /tmp/rr/audit.log
//   node dist/bench/record-read-bench.js --db /tmp/rr/idx [--records 3000] [--rounds 9]
// Prints CPU µs a record (user + system: steadier than wall time on a shared machine), median
// and lowest over the rounds, and each decoder variant against napi (same part size, same parse):
// the median over rounds of the ratio within a round.
import { parseArgs } from "node:util";
import { createRequire } from "node:module";
import { crc32 } from "node:zlib";
import { recordEntry } from "../src/audit/framing/record-json.js";
import { readU32 } from "../src/codec/byte-writer.js";
import { Lz4Decoder } from "./lz4-js-decoder.js";
import { mulberry32 } from "../src/demo/seeded-random.js";
import { openIndexEnv, type IndexEnv } from "../src/store/index-env.js";
import { IndexReader } from "../src/store/index-reader.js";

type Lz4 = { compressSync(data: Buffer): Buffer; uncompressSync(data: Buffer): Buffer };
const lz4 = createRequire(import.meta.url)("lz4-napi") as Lz4;

/** One sampled record: the compressed part that holds it and its place in the part. */
interface Sample {
  readonly part: Buffer;
  readonly at: number;
}

/** `lines` cut into parts of about `partBytes`, as codec/record-block.ts cuts them. */
function cutParts(lines: readonly Buffer[], partBytes: number): { part: Buffer; first: number }[] {
  const parts: { part: Buffer; first: number }[] = [];
  let from = 0;
  let bytes = 0;
  for (let i = 0; i < lines.length; i++) {
    bytes += lines[i]!.length + 8;
    if (bytes >= partBytes || i === lines.length - 1) {
      const chunk = lines.slice(from, i + 1);
      const header = Buffer.alloc(4 + 8 * chunk.length);
      header.writeUInt32BE(chunk.length, 0);
      let at = 0;
      chunk.forEach((l, k) => {
        header.writeUInt32BE(at, 4 + 8 * k);
        header.writeUInt32BE(at + l.length, 8 + 8 * k);
        at += l.length;
      });
      parts.push({ part: lz4.compressSync(Buffer.concat([header, ...chunk])), first: from });
      from = i + 1;
      bytes = 0;
    }
  }
  return parts;
}

function samplesOf(lines: readonly Buffer[], ids: readonly number[], partBytes: number): Sample[] {
  const parts = cutParts(lines, partBytes);
  const out: Sample[] = [];
  let p = 0;
  for (const id of ids) {
    while (p + 1 < parts.length && parts[p + 1]!.first <= id) p++;
    out.push({ part: parts[p]!.part, at: id - parts[p]!.first });
  }
  return out;
}

let sink = 0;

function napi(samples: readonly Sample[], parse: boolean): void {
  for (const { part, at } of samples) {
    const raw = lz4.uncompressSync(part);
    const text = 4 + 8 * readU32(raw, 0);
    const line = raw.subarray(text + readU32(raw, 4 + 8 * at), text + readU32(raw, 8 + 8 * at));
    sink += parse ? (recordEntry<object>(line) === null ? 1 : 0) : line.length;
  }
}

const decoder = new Lz4Decoder();

function js(samples: readonly Sample[], parse: boolean, stopEarly: boolean): void {
  for (const { part, at } of samples) {
    decoder.begin(part);
    decoder.decodeTo(part, stopEarly ? 12 + 8 * at : Infinity);
    const raw = decoder.out;
    const text = 4 + 8 * readU32(raw, 0);
    const start = text + readU32(raw, 4 + 8 * at);
    const end = text + readU32(raw, 8 + 8 * at);
    decoder.decodeTo(part, end);
    const line = Buffer.allocUnsafe(end - start);
    raw.copy(line, 0, start, end);
    sink += parse ? (recordEntry<object>(line) === null ? 1 : 0) : line.length;
  }
}

/**
 * Lz4Decoder when the line ends within the first `share` of its part (where stopping early saves
 * most), lz4-napi's whole-part decode otherwise.
 */
function hybrid(samples: readonly Sample[], parse: boolean, share: number): void {
  for (const { part, at } of samples) {
    decoder.begin(part);
    decoder.decodeTo(part, 12 + 8 * at);
    const text = 4 + 8 * readU32(decoder.out, 0);
    const end = text + readU32(decoder.out, 8 + 8 * at);
    let line: Buffer;
    if (end <= decoder.size * share) {
      const start = text + readU32(decoder.out, 4 + 8 * at);
      decoder.decodeTo(part, end);
      line = Buffer.allocUnsafe(end - start);
      decoder.out.copy(line, 0, start, end);
    } else {
      const raw = lz4.uncompressSync(part);
      line = raw.subarray(text + readU32(raw, 4 + 8 * at), end);
    }
    sink += parse ? (recordEntry<object>(line) === null ? 1 : 0) : line.length;
  }
}

function crc(samples: readonly Sample[]): void {
  for (const { part } of samples) sink += crc32(part);
}

/** Every record's line, and `count` scattered record ids in ascending order. */
function sampledLines(env: IndexEnv, count: number): { lines: Buffer[]; ids: number[] } {
  const reader = new IndexReader(env);
  const lines: Buffer[] = [];
  for (let id = 0; id < reader.recordCount; id++) lines.push(Buffer.from(reader.line(id)));
  reader.release();
  const random = mulberry32(11);
  const wanted = new Set<number>();
  while (wanted.size < Math.min(count, lines.length)) {
    wanted.add(Math.floor(random() * lines.length));
  }
  return { lines, ids: [...wanted].sort((a, b) => a - b) };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      db: { type: "string" },
      records: { type: "string", default: "3000" },
      rounds: { type: "string", default: "9" },
    },
  });
  if (!values.db) throw new Error("usage: record-read-bench --db DIR [--records N] [--rounds N]");
  const env = openIndexEnv(values.db, { create: false, readOnly: true });
  const { lines, ids } = sampledLines(env, Number(values.records));
  const s16 = samplesOf(lines, ids, 16 << 10);
  const s8 = samplesOf(lines, ids, 8 << 10);
  // Only the sampled parts stay reachable: a heap holding every line would make each full GC
  // (which lz4-napi's external allocations bring on) far dearer than in a query process.
  lines.length = 0;

  const variants: [string, () => void][] = [
    ["16K napi+parse", () => napi(s16, true)],
    ["16K js-full+parse", () => js(s16, true, false)],
    ["16K js-stop+parse", () => js(s16, true, true)],
    ["16K hybrid+parse", () => hybrid(s16, true, 0.35)],
    ["16K napi", () => napi(s16, false)],
    ["16K hybrid", () => hybrid(s16, false, 0.35)],
    ["16K js-full", () => js(s16, false, false)],
    ["16K js-stop", () => js(s16, false, true)],
    ["8K napi+parse", () => napi(s8, true)],
    ["8K js-stop+parse", () => js(s8, true, true)],
    ["8K hybrid+parse", () => hybrid(s8, true, 0.35)],
    ["8K napi", () => napi(s8, false)],
    ["8K js-stop", () => js(s8, false, true)],
    ["16K crc", () => crc(s16)],
    ["8K crc", () => crc(s8)],
    [
      "store line",
      () => {
        const r = new IndexReader(env);
        for (const id of ids) sink += r.line(id).length;
        r.release();
      },
    ],
    [
      "store line+parse",
      () => {
        const r = new IndexReader(env);
        for (const id of ids) sink += recordEntry<object>(r.line(id)) === null ? 1 : 0;
        r.release();
      },
    ],
  ];
  const times = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  const rounds = Number(values.rounds);
  for (let r = 0; r < rounds + 1; r++) {
    // Each round in another order, so no variant always runs right after the same other.
    const order = variants.map((_, i) => variants[(i + r) % variants.length]!);
    for (const [name, run] of order) {
      const t0 = process.cpuUsage();
      run();
      const { user, system } = process.cpuUsage(t0);
      const us = (user + system) / ids.length;
      if (r > 0) times.get(name)!.push(us); // round 0 warms up the JIT
    }
  }
  env.root.close();
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const fix = (x: number): string => x.toFixed(2).padStart(8);
  console.log(`${ids.length} scattered records read a round, ${rounds} rounds; CPU µs a record`);
  console.log(`${"variant".padEnd(20)}  median    lowest  vs napi`);
  for (const [name, us] of times) {
    // Against lz4-napi with the same part size and parse, round by round (the rounds interleave
    // the variants, so a slow spell of the machine weighs on both sides of each ratio).
    const base = times.get(name.replace(/ (js-full|js-stop|hybrid)(\+parse)?$/, " napi$2"));
    const ratio = base && base !== us ? median(us.map((x, r) => x / base[r]!)) : undefined;
    const vs =
      ratio === undefined ? "" : `${ratio >= 1 ? "+" : ""}${((ratio - 1) * 100).toFixed(0)} %`;
    console.log(`${name.padEnd(20)}${fix(median(us))}  ${fix(Math.min(...us))}  ${vs.padStart(7)}`);
  }
  if (sink === 0.5) console.log(sink);
}

main();
