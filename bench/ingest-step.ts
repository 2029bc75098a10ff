// How fast does `breakglass index` turn a log into an index, how much memory does it take, and how
// big is the index? Runs the built bin as a child on a fresh db, page cache warm (the input is read
// to /dev/null first), and reads its `--json` summary. Throughput is on the uncompressed log size
// and the child's wall time (Node startup included, as a user sees it).
import { readdirSync } from "node:fs";
import path from "node:path";
import { warmPageCache } from "./bench-data.js";
import { diskUsageBytes, runMeasured } from "./measure.js";
import type { TempDirs } from "./temp-dirs.js";

export interface IngestRun {
  readonly label: string;
  /** Parse workers asked for (undefined: the bin's default, one per core). */
  readonly workers: number | undefined;
  readonly wallMs: number;
  /** What the summary itself reports (from the first read to the last commit). */
  readonly summarySeconds: number;
  readonly records: number;
  readonly badLines: number;
  readonly peakRssBytes: number | undefined;
  readonly indexBytes: number;
  /** Uncompressed bytes of log the run stands for (MB/s is computed on this). */
  readonly logBytes: number;
  /** The db, when the caller asked to keep it (else it is already removed). */
  readonly db: string | undefined;
}

interface IndexSummaryJson {
  records: number;
  badLines: number;
  seconds: number;
}

export interface IngestOptions {
  readonly bin: string;
  readonly label: string;
  readonly file: string;
  readonly logBytes: number;
  readonly workers: number | undefined;
  readonly temp: TempDirs;
  readonly keepDb: boolean;
}

export async function measureIngest(opts: IngestOptions): Promise<IngestRun> {
  const db = opts.temp.make("ingest");
  await warmPageCache(opts.file);
  const args = [opts.bin, "index", "--db", db, opts.file, "--json", "--no-progress"];
  if (opts.workers !== undefined) args.push("--workers", String(opts.workers));
  const run = await runMeasured(process.execPath, args, { peakRss: true });
  if (run.code !== 0) {
    throw new Error(`index ${opts.label} exited ${run.code}:\n${run.stderr}`);
  }
  const summary = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "") as IndexSummaryJson;
  const indexBytes = await diskUsageBytes(db);
  if (!opts.keepDb) opts.temp.remove(db);
  return {
    label: opts.label,
    workers: opts.workers,
    wallMs: run.wallMs,
    summarySeconds: summary.seconds,
    records: summary.records,
    badLines: summary.badLines,
    peakRssBytes: run.peakRssBytes,
    indexBytes,
    logBytes: opts.logBytes,
    db: opts.keepDb ? db : undefined,
  };
}

/** Read an index's files to /dev/null so in-process queries start warm. */
export async function warmIndex(db: string): Promise<void> {
  for (const name of readdirSync(db)) await warmPageCache(path.join(db, name));
}
