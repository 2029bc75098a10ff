// Each line compressed on its own against a dictionary (src/codec/lz4-dict-wasm.ts) comes back
// byte for byte; lz4-napi, the oracle, reads what it writes and it reads what lz4-napi writes; a
// damaged block is a ChecksumError or exactly `size` bytes, never a hang, another exception or a
// byte from outside the block and the dictionary. The committed wasm is what its source compiles to.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { beforeAll, describe, expect, test } from "vitest";
import { ChecksumError } from "../../src/codec/checksum.js";
import { LZ4_DICT_WASM_BASE64 } from "../../src/codec/lz4-dict-wasm-bytes.js";
import { lineCompressor, lineDecompressor } from "../../src/codec/lz4-dict-wasm.js";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { mulberry32 } from "../../src/demo/seeded-random.js";
import { compileLz4DictWasm } from "../../wasm/generate-lz4-dict-wasm.js";
import { corpusLogs, HAS_CORPUS, noticeIfNoCorpus } from "../helpers/shared-corpus.js";

type Lz4 = {
  compressSync(data: Buffer, dict?: Buffer): Buffer;
  uncompressSync(data: Uint8Array, dict?: Uint8Array): Buffer;
};
const lz4 = createRequire(import.meta.url)("lz4-napi") as Lz4;

const DICT_BYTES = 60 << 10; // a segment's dictionary: its first ~60 KiB of lines

/** A line and where it lies in its source (lines are compressed from inside a larger buffer). */
interface Span {
  readonly source: Buffer;
  readonly from: number;
  readonly to: number;
}

function spansOf(source: Buffer): Span[] {
  const spans: Span[] = [];
  let from = 0;
  while (from < source.length) {
    const nl = source.indexOf(10, from);
    const to = nl < 0 ? source.length : nl;
    spans.push({ source, from, to });
    from = to + 1;
  }
  return spans;
}

function whole(line: Buffer): Span {
  return { source: line, from: 0, to: line.length };
}

/** The first lines of `spans` (newline-joined) up to `bytes`: what a segment takes as its dictionary. */
function dictionaryOf(spans: readonly Span[], bytes = DICT_BYTES): Buffer {
  const parts: Buffer[] = [];
  let n = 0;
  for (const { source, from, to } of spans) {
    if (n + to - from + 1 > bytes) break;
    parts.push(source.subarray(from, to), Buffer.from("\n"));
    n += to - from + 1;
  }
  return Buffer.concat(parts);
}

function generatedLog(lines: number, seed = 11): Buffer {
  const out: string[] = [];
  for (const line of generateAuditLines({ seed, targetBytes: lines * 1400, salt: "lz4" })) {
    out.push(line);
    if (out.length === lines) break;
  }
  return Buffer.from(out.join("\n"));
}

function randomBytes(n: number, random: () => number, alphabet = 256): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * alphabet);
  return out;
}

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), b) === 0;
}

/**
 * The matches of an LZ4 block as [start, end) in the decoded line, read by a walker independent of
 * the codec. The end rules are not checked by lz4-napi's decoder (nor ours) but by LZ4's reference
 * decoder, which rejects a block that breaks them.
 */
function matchSpans(block: Uint8Array): [number, number][] {
  const spans: [number, number][] = [];
  let ip = 0;
  let op = 0;
  const length = (n: number): number => {
    if (n === 15) {
      let b: number;
      do {
        b = block[ip++]!;
        n += b;
      } while (b === 255);
    }
    return n;
  };
  while (ip < block.length) {
    const token = block[ip++]!;
    const literals = length(token >> 4);
    ip += literals;
    op += literals;
    if (ip >= block.length) break;
    ip += 2;
    const match = length(token & 15) + 4;
    spans.push([op, op + match]);
    op += match;
  }
  return spans;
}

/**
 * Every span compressed against `dict` and checked three ways: our decompress gives it back,
 * lz4-napi's uncompressSync reads our block, and our decompress reads lz4-napi's block. Returns
 * our blocks (copies) with their lines.
 */
function checkRoundTrips(dict: Buffer, spans: readonly Span[]): { block: Buffer; line: Buffer }[] {
  const compressor = lineCompressor(dict);
  const decompressor = lineDecompressor(dict);
  const out: { block: Buffer; line: Buffer }[] = [];
  for (const [i, { source, from, to }] of spans.entries()) {
    const line = source.subarray(from, to);
    const block = Buffer.from(compressor.compress(source, from, to));
    const where = `line ${i} (${line.length} bytes, dictionary ${dict.length} bytes)`;
    expect(same(decompressor.decompress(block, line.length), line), `${where}: round trip`).toBe(
      true,
    );
    for (const [start, end] of matchSpans(block)) {
      expect(start, `${where}: a match starts in the last 12 bytes`).toBeLessThanOrEqual(
        line.length - 12,
      );
      expect(end, `${where}: a match ends in the last 5 bytes`).toBeLessThanOrEqual(
        line.length - 5,
      );
    }
    const napiReads = lz4.uncompressSync(Buffer.concat([u32le(line.length), block]), dict);
    expect(same(napiReads, line), `${where}: lz4-napi reads our block`).toBe(true);
    const napiBlock = lz4.compressSync(Buffer.from(line), dict).subarray(4);
    expect(
      same(decompressor.decompress(napiBlock, line.length), line),
      `${where}: we read lz4-napi's block`,
    ).toBe(true);
    out.push({ block, line });
  }
  return out;
}

const generated = spansOf(generatedLog(1200));
const generatedDict = dictionaryOf(generated);
const fullDict = Buffer.concat([generatedDict, generatedLog(80, 12)]).subarray(0, 65536);
const oneByteDict = Buffer.from("{");
const noDict = Buffer.alloc(0);

test("the committed wasm is what wasm/lz4-dict.as.ts compiles to (run npm run build:wasm)", async () => {
  const compiled = await compileLz4DictWasm();
  expect(Buffer.from(LZ4_DICT_WASM_BASE64, "base64").equals(compiled)).toBe(true);
});

describe.each([
  ["no dictionary", noDict],
  ["a 1-byte dictionary", oneByteDict],
  ["a ~60 KiB dictionary of the log's first lines", generatedDict],
  ["a 65536-byte dictionary", fullDict],
])("against %s", (_, dict) => {
  test("generated audit lines round-trip and agree with lz4-napi both ways", () => {
    const blocks = checkRoundTrips(dict, generated.slice(40));
    if (dict.length > 1000) {
      // The dictionary must be doing something: the lines' own repeats alone compress less.
      const withDict = blocks.reduce((n, b) => n + b.block.length, 0);
      const alone = checkRoundTrips(noDict, generated.slice(40)).reduce(
        (n, b) => n + b.block.length,
        0,
      );
      expect(withDict).toBeLessThan(alone * 0.8);
    }
  });

  test("empty and 1-16 byte lines, from the dictionary's text and random bytes", () => {
    const random = mulberry32(dict.length + 1);
    const spans: Span[] = [];
    for (let n = 0; n <= 16; n++) {
      spans.push(whole(randomBytes(n, random)));
      spans.push(whole(randomBytes(n, random, 2)));
      if (dict.length >= n) spans.push(whole(dict.subarray(dict.length - n)));
      if (dict.length >= n + 100) spans.push(whole(dict.subarray(100, 100 + n)));
    }
    checkRoundTrips(dict, spans);
  });

  test("random and binary bytes, incompressible and compressible, and pieces of the dictionary", () => {
    const random = mulberry32(dict.length + 2);
    const spans: Span[] = [];
    for (let i = 0; i < 60; i++) {
      const n = Math.floor(random() * 4000);
      spans.push(whole(randomBytes(n, random)));
      spans.push(whole(randomBytes(n, random, 1 + Math.floor(random() * 4))));
      if (dict.length > 0) {
        // A line that continues the dictionary's last bytes, then repeats pieces of it.
        const at = Math.floor(random() * dict.length);
        spans.push(
          whole(
            Buffer.concat([
              dict.subarray(at),
              randomBytes(Math.floor(random() * 20), random),
              dict.subarray(Math.floor(random() * dict.length)),
            ]).subarray(0, n + 13),
          ),
        );
      }
    }
    checkRoundTrips(dict, spans);
  });

  test("lines that repeat the dictionary's last bytes (matches that run on from it into the line)", () => {
    const spans: Span[] = [];
    for (const k of [1, 2, 3, 7, 8, 15, 16, 17, 40, 300]) {
      const tail = dict.subarray(Math.max(0, dict.length - k));
      if (tail.length === 0) continue;
      const repeats = Buffer.concat(
        Array.from({ length: Math.ceil(200 / tail.length) }, () => tail),
      );
      spans.push(
        whole(repeats),
        whole(Buffer.concat([repeats, Buffer.from("then something else")])),
      );
    }
    checkRoundTrips(dict, spans);
  });

  test("lines over 64 KiB and over 1 MiB, between short ones (the instance's memory grows)", () => {
    const random = mulberry32(dict.length + 3);
    const log = generatedLog(900, 13);
    const big = Buffer.concat([log, randomBytes(300_000, random, 16), log.subarray(0, 500_000)]);
    expect(big.length).toBeGreaterThan(1 << 20);
    const spans = [
      whole(Buffer.from("short")),
      whole(big.subarray(0, 70_000)),
      generated[50]!,
      whole(big),
      whole(Buffer.alloc(0)),
      whole(big.subarray(3, 65_541)),
      generated[51]!,
    ];
    checkRoundTrips(dict, spans);
  });
});

describe.skipIf(!HAS_CORPUS)("the real audit logs of the corpus", () => {
  noticeIfNoCorpus("lz4-dict-wasm");
  test.each(corpusLogs().map((file) => [file.split("/").pop()!, file]))(
    "%s: every line round-trips against the log's first ~60 KiB and agrees with lz4-napi",
    (_, file) => {
      const spans = spansOf(readFileSync(file)).filter((s) => s.to > s.from);
      checkRoundTrips(dictionaryOf(spans), spans);
    },
  );
});

describe("interleaved instances", () => {
  test("compressors and decompressors of different dictionaries do not disturb each other", () => {
    const a = { c: lineCompressor(generatedDict), d: lineDecompressor(generatedDict) };
    const b = { c: lineCompressor(fullDict), d: lineDecompressor(fullDict) };
    for (const { source, from, to } of generated.slice(100, 160)) {
      const line = source.subarray(from, to);
      const ba = Buffer.from(a.c.compress(source, from, to));
      const bb = Buffer.from(b.c.compress(source, from, to));
      expect(same(b.d.decompress(bb, line.length), line)).toBe(true);
      expect(same(a.d.decompress(ba, line.length), line)).toBe(true);
    }
  });
});

/** What decompress does with `block`: "ok" for exactly `size` bytes, "checksum" for ChecksumError. */
function outcome(dict: Buffer, block: Uint8Array, size: number): "ok" | "checksum" {
  try {
    const out = lineDecompressor(dict).decompress(block, size);
    expect(out.length).toBe(size);
    return "ok";
  } catch (e) {
    if (e instanceof ChecksumError) return "checksum";
    throw e;
  }
}

describe("damaged blocks", () => {
  let samples: { block: Buffer; line: Buffer }[] = [];
  beforeAll(() => {
    samples = checkRoundTrips(generatedDict, [
      ...generated.slice(200, 204),
      whole(randomBytes(300, mulberry32(5))),
      whole(Buffer.alloc(0)),
      whole(Buffer.from("0123456789ab")),
    ]);
  });
  const decompressor = lineDecompressor(generatedDict);

  /** Decompress with the shared instance; the error if it throws one. */
  function attempt(block: Uint8Array, size: number): unknown {
    try {
      const out = decompressor.decompress(block, size);
      expect(out.length).toBe(size);
      return undefined;
    } catch (e) {
      return e;
    }
  }

  test("every truncation of several blocks is a ChecksumError", () => {
    for (const { block, line } of samples) {
      for (let n = 0; n < block.length; n++) {
        const e = attempt(block.subarray(0, n), line.length);
        expect(e, `${line.length}-byte line's block cut to ${n} bytes`).toBeInstanceOf(
          ChecksumError,
        );
      }
    }
  });

  test("random byte flips are a ChecksumError or exactly `size` bytes, nothing else", () => {
    const random = mulberry32(9);
    let errors = 0;
    for (let i = 0; i < 3000; i++) {
      const { block, line } = samples[i % samples.length]!;
      const damaged = Buffer.from(block);
      const flips = 1 + Math.floor(random() * 3);
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(random() * damaged.length);
        damaged[at] = damaged[at]! ^ (1 + Math.floor(random() * 255));
      }
      const e = attempt(damaged, line.length);
      if (e !== undefined) {
        expect(e).toBeInstanceOf(ChecksumError);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(100); // the flips did hit something
    // The shared instance still decodes good blocks after all that.
    for (const { block, line } of samples) {
      expect(same(decompressor.decompress(block, line.length), line)).toBe(true);
    }
  });

  test("a size too small, too large or absurd is a ChecksumError", () => {
    for (const { block, line } of samples) {
      for (const size of [
        line.length - 1,
        line.length + 1,
        line.length * 2 + 5,
        2 ** 31,
        2 ** 40,
      ]) {
        if (size < 0) continue;
        expect(attempt(block, size), `size ${size} for ${line.length}`).toBeInstanceOf(
          ChecksumError,
        );
      }
    }
    expect(attempt(Buffer.alloc(0), 0)).toBeInstanceOf(ChecksumError);
    expect(attempt(Buffer.from([0]), -1)).toBeInstanceOf(ChecksumError);
    expect(attempt(Buffer.from([0]), 0.5)).toBeInstanceOf(ChecksumError);
    // A block long enough to hold that many bytes, but more than any line compress takes.
    expect(attempt(Buffer.alloc(5 << 20), 2 ** 30 + 1)).toBeInstanceOf(ChecksumError);
  });

  // Hand-made blocks against the 8-byte dictionary "abcdefgh": [token, offset u16 LE, ...]; what
  // decodes is checked against lz4-napi's decoding too.
  const abc = Buffer.from("abcdefgh");
  const vwxyz = [...Buffer.from("vwxyz")];
  test.each([
    [
      "a match of the whole dictionary (offset 8)",
      [0x04, 8, 0, 0x50, ...vwxyz],
      13,
      "abcdefghvwxyz",
    ],
    [
      "a match from the dictionary's last 3 bytes running on into the line (offset 3 < 8)",
      [0x08, 3, 0, 0x50, ...vwxyz],
      17,
      "fghfghfghfghvwxyz",
    ],
    [
      "a match from the dictionary's start running on into the line (offset 20 >= 16)",
      [0xcf, ...Buffer.from("0123456789ab"), 20, 0, 11, 0x50, ...vwxyz],
      47,
      "0123456789ab" + "abcdefgh0123456789ababcdefgh01" + "vwxyz",
    ],
    ["an offset one byte before the dictionary's start", [0x04, 9, 0, 0x50, ...vwxyz], 13, "error"],
    ["an offset of 65535 with an 8-byte dictionary", [0x04, 255, 255, 0x50, ...vwxyz], 13, "error"],
    ["offset 0", [0x14, ...Buffer.from("v"), 0, 0, 0x50, ...vwxyz], 14, "error"],
    ["literals past the block's end", [0x50, ...Buffer.from("vwx")], 5, "error"],
    ["a literal length running off the block", [0xf0, 255, 255], 600, "error"],
    ["a match past the line's size", [0x0f, 8, 0, 40, 0x50, ...vwxyz], 20, "error"],
    ["a match length running off the block", [0x0f, 8, 0, 255, 255], 1000, "error"],
    ["an offset cut in half", [0x04, 8], 13, "error"],
    ["a trailing byte after the last literals", [0x50, ...vwxyz, 0], 5, "error"],
  ] as const)("%s", (_, bytes, size, expected) => {
    const block = Buffer.from(bytes);
    if (expected === "error") {
      expect(outcome(abc, block, size)).toBe("checksum");
      return;
    }
    expect(expected.length).toBe(size);
    expect(Buffer.from(lineDecompressor(abc).decompress(block, size)).toString()).toBe(expected);
    expect(lz4.uncompressSync(Buffer.concat([u32le(size), block]), abc).toString()).toBe(expected);
  });

  test("64K length bytes that run off the block end in a ChecksumError, not a hang", () => {
    const block = Buffer.alloc(1 << 16, 255);
    block[0] = 0xf0;
    expect(outcome(abc, block, 16 << 20)).toBe("checksum");
  });
});

describe("arguments", () => {
  test("a dictionary over 65536 bytes acts as its last 65536, as lz4-napi takes it", () => {
    const long = Buffer.concat([Buffer.alloc(5000, "#"), fullDict]);
    const spans = [...generated.slice(500, 540), whole(long.subarray(0, 3000))];
    const blocks = checkRoundTrips(long, spans);
    const compressor = lineCompressor(fullDict);
    for (const [i, { source, from, to }] of spans.entries()) {
      expect(same(compressor.compress(source, from, to), blocks[i]!.block)).toBe(true);
    }
  });

  test("a range outside the source is refused", () => {
    const c = lineCompressor(oneByteDict);
    expect(() => c.compress(Buffer.alloc(10), 5, 11)).toThrow(RangeError);
    expect(() => c.compress(Buffer.alloc(10), 6, 5)).toThrow(RangeError);
    expect(() => c.compress(Buffer.alloc(10), -1, 5)).toThrow(RangeError);
  });
});

describe("the thread's shared decoder", () => {
  test("more decompressors than it holds dictionaries, used in turn, each read right", () => {
    const log = generatedLog(300, 14);
    const random = mulberry32(21);
    const dicts = Array.from({ length: 150 }, (_, i) =>
      log.subarray(i * 1000, i * 1000 + 2000 + Math.floor(random() * 60_000)),
    );
    const line = (i: number) => log.subarray(i * 1000 + 500, i * 1000 + 1700);
    const blocks = dicts.map((dict, i) =>
      Buffer.from(lineCompressor(dict).compress(line(i), 0, 1200)),
    );
    const decompressors = dicts.map((dict) => lineDecompressor(dict));
    // In turn twice (every dictionary pushed out and copied back in), then in a random order.
    const order = [...dicts.keys(), ...dicts.keys()];
    for (let k = 0; k < 300; k++) order.push(Math.floor(random() * dicts.length));
    for (const i of order) {
      const out = decompressors[i]!.decompress(blocks[i]!, 1200);
      expect(same(out, line(i)), `line ${i}`).toBe(true);
    }
  });

  test("a decompressor keeps its own copy of the dictionary it was given", () => {
    const dict = Buffer.from(generatedDict);
    const { source, from, to } = generated[300]!;
    const block = Buffer.from(lineCompressor(dict).compress(source, from, to));
    const decompressor = lineDecompressor(dict);
    dict.fill(0); // as a reused read buffer would be
    expect(same(decompressor.decompress(block, to - from), source.subarray(from, to))).toBe(true);
  });
});
