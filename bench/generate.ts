// How fast do we generate a benchmark audit log, and what is planted in it? A CLI over
// src/demo/generate-log.ts:
//   node dist/bench/generate.js --bytes 1G --seed 1 --salt bench-salt --out bench/data/audit-1g.log [--gzip]
// Writes the file (and with --gzip a .gz copy next to it, streamed through node:zlib), then prints
// one JSON object on stdout: bytes, lines, seconds, MB/s (1 MB = 10^6 bytes) and the planted
// incidents. Usage errors go to stderr with exit code 2.
import { createReadStream, createWriteStream, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { createGzip } from "node:zlib";
import { writeAuditLog } from "../src/demo/generate-log.js";

const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** "100M", "1G", "512k", "1.5GiB", "12345" -> bytes (binary units). */
function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new RangeError(`not a size: ${JSON.stringify(text)} (try 100M or 1G)`);
  const bytes = Math.round(Number(m[1]) * (UNITS[(m[2] ?? "").toUpperCase()] ?? 1));
  if (bytes <= 0) throw new RangeError(`size must be positive: ${text}`);
  return bytes;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      bytes: { type: "string", default: "100M" },
      seed: { type: "string", default: "1" },
      salt: { type: "string", default: "bench-salt" },
      out: { type: "string", default: "bench/data/audit.log" },
      "start-time": { type: "string" },
      "no-plant": { type: "boolean", default: false },
      gzip: { type: "boolean", default: false },
    },
    strict: true,
  });
  const targetBytes = parseSize(values.bytes);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new RangeError(`--seed must be an integer: ${values.seed}`);
  const out = values.out;
  mkdirSync(dirname(out), { recursive: true });

  const started = process.hrtime.bigint();
  const result = await writeAuditLog(out, {
    seed,
    targetBytes,
    salt: values.salt,
    ...(values["start-time"] ? { startTime: values["start-time"] } : {}),
    plant: !values["no-plant"],
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  let gzip: { file: string; bytes: number; seconds: number } | undefined;
  if (values.gzip) {
    const gzStarted = process.hrtime.bigint();
    const file = `${out}.gz`;
    await pipeline(createReadStream(out), createGzip(), createWriteStream(file));
    gzip = {
      file,
      bytes: statSync(file).size,
      seconds: Math.round(Number(process.hrtime.bigint() - gzStarted) / 1e6) / 1000,
    };
  }

  const report = {
    file: out,
    bytes: result.bytes,
    lines: result.lines,
    seconds: Math.round(seconds * 1000) / 1000,
    mbPerSecond: Math.round((result.bytes / 1e6 / seconds) * 10) / 10,
    ...(gzip ? { gzip } : {}),
    planted: result.planted ?? null,
  };
  process.stdout.write(JSON.stringify(report, null, 2) + "\n");
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const usage = err instanceof RangeError || (err instanceof TypeError && "code" in err);
  process.stderr.write(`generate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = usage ? 2 : 1;
});
