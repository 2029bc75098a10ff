// How long does `breakglass compare A B` take on two devices' copies of the benchmark log, next to
// `breakglass index` of one copy? The target (issue #11): at most twice the time of index.
// Device A is the benchmark log; device B is the same entries as a second device writes them:
// every HMAC value re-keyed with another salt (an HMAC of the value, so equal values stay equal:
// one to one, as Vault's salts make them), written once to bench/data/audit-<size>.device-b.log.
// Whole processes of the built bin, page cache warm, peak RSS measured; compare must exit 0.
import { createHmac } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, renameSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import type { BenchData } from "./bench-data.js";
import { warmPageCache } from "./bench-data.js";
import { runMeasured } from "./measure.js";
import type { TempDirs } from "./temp-dirs.js";

const DEVICE_B_SALT = "bench-device-b";
const HMAC = /hmac-sha256:[0-9a-f]{64}/g;

export interface CompareRun {
  readonly compareWallMs: number;
  readonly comparePeakRssBytes: number | undefined;
  /** Both devices' bytes. */
  readonly compareBytes: number;
  readonly indexWallMs: number;
  readonly indexPeakRssBytes: number | undefined;
  readonly indexBytes: number;
  /** Where the index time came from: this step, or the ingest step's all-cores run. */
  readonly indexFrom: string;
}

/** Device B's copy of `log` (made once, then reused). */
export async function deviceBCopy(log: string): Promise<string> {
  const out = log.replace(/\.log$/, "") + ".device-b.log";
  if (existsSync(out)) return out;
  process.stderr.write(`writing ${out} (device B: every HMAC re-keyed) …\n`);
  const tmp = `${out}.tmp`;
  const w = createWriteStream(tmp);
  const rekey = (v: string): string =>
    "hmac-sha256:" + createHmac("sha256", DEVICE_B_SALT).update(v).digest("hex");
  let batch = "";
  for await (const line of createInterface({ input: createReadStream(log), crlfDelay: Infinity })) {
    batch += line.replace(HMAC, rekey) + "\n";
    if (batch.length >= 1 << 20) {
      if (!w.write(batch)) await new Promise<void>((r) => w.once("drain", () => r()));
      batch = "";
    }
  }
  w.write(batch);
  await new Promise<void>((resolve, reject) =>
    w.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  renameSync(tmp, out);
  return out;
}

export interface CompareStepOptions {
  readonly bin: string;
  readonly data: BenchData;
  readonly temp: TempDirs;
  readonly workers?: number | undefined;
  /** The ingest step's all-cores index run, when it ran (else this step times one). */
  readonly index?: { readonly wallMs: number; readonly peakRssBytes: number | undefined };
}

export async function measureCompare(opts: CompareStepOptions): Promise<CompareRun> {
  const { bin, data } = opts;
  const deviceB = await deviceBCopy(data.log);
  const workers = opts.workers === undefined ? [] : ["--workers", String(opts.workers)];
  let index = opts.index;
  let indexFrom = "the ingest step (all cores)";
  if (index === undefined) {
    process.stderr.write("index (one device) …\n");
    await warmPageCache(data.log);
    const db = opts.temp.make("compare-index");
    const run = await runMeasured(
      process.execPath,
      [bin, "index", "--db", db, data.log, "--json", "--no-progress", ...workers],
      { peakRss: true },
    );
    if (run.code !== 0) throw new Error(`index exited ${run.code}:\n${run.stderr}`);
    opts.temp.remove(db);
    index = run;
    indexFrom = "this step";
  }
  await warmPageCache(data.log);
  await warmPageCache(deviceB);
  process.stderr.write("compare (two devices) …\n");
  const run = await runMeasured(process.execPath, [bin, "compare", data.log, deviceB, ...workers], {
    peakRss: true,
    countStdout: true,
  });
  if (run.code !== 0) {
    throw new Error(
      `compare exited ${run.code} (${run.stdoutLines} findings): the copies should agree\n${run.stderr}`,
    );
  }
  return {
    compareWallMs: run.wallMs,
    comparePeakRssBytes: run.peakRssBytes,
    compareBytes: data.logBytes + statSync(deviceB).size,
    indexWallMs: index.wallMs,
    indexPeakRssBytes: index.peakRssBytes,
    indexBytes: data.logBytes,
    indexFrom,
  };
}
