// Which log does the benchmark read, and what is planted in it? bench/data/audit-<size>.log, its
// .gz and the generator's report (.json, with the planted incidents) are made by
// dist/bench/generate.js (seed 1, salt bench-salt: deterministic) when any of them is missing.
// Also warms the page cache for a file, so every timed reader starts from the same state.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runMeasured, runShell } from "./measure.js";

export const BENCH_SALT = "bench-salt";
const BENCH_SEED = "1";

export interface Planted {
  readonly compromisedIp: string;
  readonly compromisedIpLeases: readonly string[];
  readonly leakedPasswordHmac: string;
  readonly failedUnwrapIp: string;
}

export interface BenchData {
  readonly log: string;
  readonly gz: string;
  readonly logBytes: number;
  readonly gzBytes: number;
  readonly lines: number;
  readonly planted: Planted;
}

/** "1G" → "1g", "200M" → "200m", "1.5GiB" → "1.5g": the size part of the file name. */
export function sizeLabel(bytesText: string): string {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(bytesText.trim());
  if (!m) throw new RangeError(`not a size: ${JSON.stringify(bytesText)} (try 200M or 1G)`);
  return `${m[1]}${(m[2] ?? "").toLowerCase()}`;
}

interface GeneratorReport {
  bytes: number;
  lines: number;
  gzip?: { bytes: number };
  planted: Planted | null;
}

export async function ensureBenchData(repoRoot: string, bytesText: string): Promise<BenchData> {
  const label = sizeLabel(bytesText);
  const log = path.join(repoRoot, "bench", "data", `audit-${label}.log`);
  const gz = `${log}.gz`;
  const reportFile = path.join(repoRoot, "bench", "data", `audit-${label}.json`);
  if (!existsSync(log) || !existsSync(gz) || !existsSync(reportFile)) {
    process.stderr.write(`generating ${path.relative(repoRoot, log)} (+ .gz) …\n`);
    const gen = await runMeasured(
      process.execPath,
      [
        path.join(repoRoot, "dist", "bench", "generate.js"),
        ...["--bytes", bytesText, "--seed", BENCH_SEED, "--salt", BENCH_SALT],
        ...["--out", log, "--gzip"],
      ],
      { cwd: repoRoot },
    );
    if (gen.code !== 0) throw new Error(`generate.js failed (${gen.code}): ${gen.stderr}`);
    writeFileSync(reportFile, gen.stdout);
  }
  const report = JSON.parse(readFileSync(reportFile, "utf8")) as GeneratorReport;
  if (!report.planted)
    throw new Error(`${reportFile} has no planted incidents; delete it to regenerate`);
  return {
    log,
    gz,
    logBytes: report.bytes,
    gzBytes: report.gzip?.bytes ?? 0,
    lines: report.lines,
    planted: report.planted,
  };
}

/** Read a file once to /dev/null so the timed run finds it in the page cache. */
export async function warmPageCache(file: string): Promise<void> {
  const run = await runShell(`cat -- '${file}' > /dev/null`);
  if (run.code !== 0) throw new Error(`cat ${file} failed: ${run.stderr}`);
}
