// What does compressing and reading back one line cost, each line on its own against a segment's
// dictionary, next to today's 16 KiB lz4-napi parts? Generates a small log in memory
// (src/demo/generate-log.ts), takes its first ~60 KiB of lines (newline-joined) as the dictionary
// and the next `--lines` lines as the data, then times in interleaved rounds (the VM drifts 20-40 %
// between minutes):
//   wasm        src/codec/lz4-dict-wasm.ts, per line: compress, and decompress (copied in and out)
//   js          bench/lz4-dict-js.ts (the plain-JS version of the same codec), per line
//   napi-dict   lz4-napi compressSync(line, dict) / uncompressSync, per line (rehashes the
//               dictionary each call; on the first `--napi-dict-lines` lines only)
//   napi-parts  lz4-napi compressSync / uncompressSync of 16 KiB parts (the store's layout today):
//               compress per line amortized, and decompress per record read (one part per line)
// Prints CPU µs a line (user + system: steadier than wall time on a shared machine), median and
// lowest over the rounds, and the median over rounds of each one's ratio to napi parts' compress in
// the same round; then each codec's compression ratio (line bytes / compressed bytes).
// Small data only, e.g. after `npm run build`:
//   node dist/bench/lz4-dict-bench.js [--lines 20000] [--rounds 7]
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import {
  lineCompressor,
  lineDecompressor,
  type LineCompressor,
  type LineDecompressor,
} from "../src/codec/lz4-dict-wasm.js";
import { generateAuditLines } from "../src/demo/generate-log.js";
import * as jsCodec from "./lz4-dict-js.js";

type Lz4 = {
  compressSync(data: Buffer, dict?: Buffer): Buffer;
  uncompressSync(data: Uint8Array, dict?: Uint8Array): Buffer;
};
const lz4 = createRequire(import.meta.url)("lz4-napi") as Lz4;

interface Codec {
  lineCompressor(dict: Uint8Array): LineCompressor;
  lineDecompressor(dict: Uint8Array): LineDecompressor;
}

const DICT_BYTES = 60 << 10; // "the segment's first ~60 KiB of lines"
const PART_BYTES = 16 << 10; // the store's part size today
const PARTS_COMPRESS = "napi-parts compress (per line)";

const { values } = parseArgs({
  options: {
    lines: { type: "string", default: "20000" },
    rounds: { type: "string", default: "7" },
    "napi-dict-lines": { type: "string", default: "2000" },
  },
});
const lineCount = Number(values.lines);
const rounds = Number(values.rounds);
const napiDictLines = Number(values["napi-dict-lines"]);

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** The dictionary (the first lines up to DICT_BYTES, newline-joined) and the `count` lines after it. */
function data(count: number): { dict: Buffer; lines: Buffer[] } {
  const dictLines: Buffer[] = [];
  const lines: Buffer[] = [];
  let dictBytes = 0;
  for (const text of generateAuditLines({ seed: 7, targetBytes: 30e6, salt: "bench" })) {
    const line = Buffer.from(text);
    if (dictBytes + line.length + 1 <= DICT_BYTES) {
      dictLines.push(line, Buffer.from("\n"));
      dictBytes += line.length + 1;
    } else if (lines.length < count) {
      lines.push(line);
    } else {
      break;
    }
  }
  return { dict: Buffer.concat(dictLines), lines };
}

/** `lines` concatenated into parts of about PART_BYTES, compressed. */
function parts(lines: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  let bytes = 0;
  lines.forEach((line, i) => {
    bytes += line.length;
    if (bytes >= PART_BYTES || i === lines.length - 1) {
      out.push(Buffer.concat(lines.slice(from, i + 1)));
      from = i + 1;
      bytes = 0;
    }
  });
  return out;
}

let sink = 0;

function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

interface Variant {
  readonly name: string;
  /** Runs once over its data; returns how many lines that covered. */
  readonly run: () => number;
}

function perLineVariants(name: string, codec: Codec, dict: Buffer, lines: Buffer[]): Variant[] {
  const compressor = codec.lineCompressor(dict);
  const decompressor = codec.lineDecompressor(dict);
  const blocks = lines.map((line) => Buffer.from(compressor.compress(line, 0, line.length)));
  return [
    {
      name: `${name} compress`,
      run: () => {
        for (const line of lines) sink += compressor.compress(line, 0, line.length).length;
        return lines.length;
      },
    },
    {
      name: `${name} decompress`,
      run: () => {
        for (let i = 0; i < blocks.length; i++) {
          sink += decompressor.decompress(blocks[i]!, lines[i]!.length)[0]!;
        }
        return lines.length;
      },
    },
  ];
}

/**
 * Reads that go from one segment to another: `count` dictionaries (60 KiB of lines each), line i
 * compressed against dictionary i % count and read back in that order. Fewer dictionaries than the
 * wasm decoder's slots cost nothing more; more make each read copy its dictionary in again.
 */
function manyDictionaries(name: string, codec: Codec, lines: Buffer[], count: number): Variant[] {
  const dicts = Array.from({ length: count }, (_, k) =>
    Buffer.concat(lines.slice(k * 7, k * 7 + 60)).subarray(0, DICT_BYTES),
  );
  const compressors = dicts.map((d) => codec.lineCompressor(d));
  const blocks = lines.map((line, i) =>
    Buffer.from(compressors[i % count]!.compress(line, 0, line.length)),
  );
  const decompressors = dicts.map((d) => codec.lineDecompressor(d));
  return [
    {
      name: `${name} decompress, ${count} dictionaries in turn`,
      run: () => {
        for (let i = 0; i < blocks.length; i++) {
          sink += decompressors[i % count]!.decompress(blocks[i]!, lines[i]!.length)[0]!;
        }
        return lines.length;
      },
    },
    {
      name: `${name} lineDecompressor + 1 line, ${count} dictionaries`,
      run: () => {
        for (let k = 0; k < count; k++) {
          sink += codec.lineDecompressor(dicts[k]!).decompress(blocks[k]!, lines[k]!.length)[0]!;
        }
        return count;
      },
    },
  ];
}

function ratio(lines: readonly Buffer[], compressed: (line: Buffer) => number): string {
  let before = 0;
  let after = 0;
  for (const line of lines) {
    before += line.length;
    after += compressed(line);
  }
  return (before / after).toFixed(3);
}

async function main(): Promise<void> {
  const { dict, lines } = data(lineCount);
  const lineBytes = lines.reduce((n, l) => n + l.length, 0);
  console.log(
    `${lines.length} lines, ${(lineBytes / lines.length).toFixed(0)} bytes a line; dictionary ${dict.length} bytes`,
  );

  let started = performance.now();
  const first = lineCompressor(dict);
  const firstMs = performance.now() - started;
  started = performance.now();
  for (let i = 0; i < 20; i++) lineCompressor(dict);
  const nextMs = (performance.now() - started) / 20;
  console.log(
    `wasm setup: first lineCompressor ${firstMs.toFixed(2)} ms (module compile + instance + dictionary), ` +
      `then ${nextMs.toFixed(3)} ms each`,
  );

  const codecs: [string, Codec][] = [
    ["wasm", { lineCompressor, lineDecompressor }],
    ["js", jsCodec],
  ];
  const variants = codecs.flatMap(([name, codec]) => perLineVariants(name, codec, dict, lines));

  variants.push(...codecs.flatMap(([name, codec]) => manyDictionaries(name, codec, lines, 48)));
  variants.push(...codecs.flatMap(([name, codec]) => manyDictionaries(name, codec, lines, 100)));

  const dictLines = lines.slice(0, napiDictLines);
  const napiDictBlocks = dictLines.map((line) => lz4.compressSync(line, dict));
  variants.push(
    {
      name: "napi-dict compress",
      run: () => {
        for (const line of dictLines) sink += lz4.compressSync(line, dict).length;
        return dictLines.length;
      },
    },
    {
      name: "napi-dict decompress",
      run: () => {
        for (const block of napiDictBlocks) sink += lz4.uncompressSync(block, dict).length;
        return dictLines.length;
      },
    },
  );

  const raw = parts(lines);
  const packed = raw.map((part) => lz4.compressSync(part));
  variants.push(
    {
      name: PARTS_COMPRESS,
      run: () => {
        for (const part of raw) sink += lz4.compressSync(part).length;
        return lines.length;
      },
    },
    {
      name: "napi-parts decompress (per part = per record read)",
      run: () => {
        for (const part of packed) sink += lz4.uncompressSync(part).length;
        return packed.length;
      },
    },
  );

  const ratios: [string, string][] = codecs.map(([name, codec]) => {
    const c = codec.lineCompressor(dict);
    return [name, ratio(lines, (line) => c.compress(line, 0, line.length).length)];
  });
  ratios.push(["napi-dict", ratio(dictLines, (line) => lz4.compressSync(line, dict).length - 4)]);
  ratios.push([
    "napi-parts",
    (lineBytes / packed.reduce((n, p) => n + p.length - 4, 0)).toFixed(3),
  ]);
  ratios.push([
    "wasm, no dictionary",
    ratio(
      lines,
      (
        (c) => (line: Buffer) =>
          c.compress(line, 0, line.length).length
      )(lineCompressor(new Uint8Array(0))),
    ),
  ]);

  const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(k + r) % variants.length]!;
      const t = cpuMicros();
      const n = v.run();
      samples.get(v.name)!.push((cpuMicros() - t) / n);
    }
  }
  // Against today's store (napi parts) within each round: steadier than µs when the VM drifts.
  const partsCompress = samples.get(PARTS_COMPRESS)!;
  console.log(
    `\nCPU µs a line over ${rounds} interleaved rounds: median, lowest, and the median over rounds` +
      ` of (this / ${PARTS_COMPRESS})`,
  );
  for (const [name, us] of samples) {
    const ratioToParts = median(us.map((u, r) => u / partsCompress[r]!));
    console.log(
      `  ${name.padEnd(52)} ${median(us).toFixed(3).padStart(8)} ${Math.min(...us)
        .toFixed(3)
        .padStart(8)} ${ratioToParts.toFixed(2).padStart(6)}x`,
    );
  }
  console.log(`\ncompression ratio (line bytes / compressed bytes, no size prefix):`);
  for (const [name, value] of ratios) console.log(`  ${name.padEnd(24)} ${value}`);
  if (sink === 0.5) console.log(first);
}

await main();
