// How fast does `breakglass index --backend clickhouse://…?cluster=…` load a log into a two-shard
// ClickHouse cluster, and how much disk do the rows take there? Runs the built bin as a child
// (wall time, Node startup included, as a user sees it; MB/s on the uncompressed log size),
// checks the row count against the bin's summary, and sums the active parts' bytes on every
// shard. Without a URL it starts the test harness's two local servers (test/helpers/), which
// share this machine's cores with the bin: the number is a floor, not a cluster's throughput.
import { warmPageCache } from "./bench-data.js";
import { runMeasured } from "./measure.js";
import {
  CLICKHOUSE_TEST_PASSWORD,
  startClickhouseCluster,
  type ClickhouseCluster,
} from "../test/helpers/clickhouse-cluster.js";

export interface ClickhouseLoadRun {
  readonly label: string;
  readonly wallMs: number;
  readonly summarySeconds: number;
  readonly records: number;
  readonly badLines: number;
  readonly peakRssBytes: number | undefined;
  /** Active parts on all shards (compressed columns, marks, primary keys). */
  readonly clickhouseBytes: number;
  readonly perShardRows: readonly number[];
  readonly logBytes: number;
}

export interface ClickhouseLoadOptions {
  readonly bin: string;
  readonly label: string;
  readonly file: string;
  readonly logBytes: number;
  readonly workers?: number | undefined;
}

interface SummaryJson {
  records: number;
  badLines: number;
  seconds: number;
}

/** Start the two local servers, load `file` once into a fresh database, stop the servers. */
export async function measureClickhouseLoad(
  opts: ClickhouseLoadOptions,
): Promise<ClickhouseLoadRun> {
  const cluster = await startClickhouseCluster();
  try {
    return await loadInto(cluster, opts);
  } finally {
    await cluster.stop();
  }
}

async function loadInto(
  cluster: ClickhouseCluster,
  opts: ClickhouseLoadOptions,
): Promise<ClickhouseLoadRun> {
  const db = "bench";
  await warmPageCache(opts.file);
  const url = cluster.url(db, { cluster: true });
  const args = [opts.bin, "index", "--backend", url, opts.file, "--json", "--no-progress"];
  if (opts.workers !== undefined) args.push("--workers", String(opts.workers));
  process.env.CLICKHOUSE_PASSWORD = CLICKHOUSE_TEST_PASSWORD;
  const run = await runMeasured(process.execPath, args, { peakRss: true });
  if (run.code !== 0) throw new Error(`index --backend exited ${run.code}:\n${run.stderr}`);
  const summary = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "") as SummaryJson;
  const perShardRows: number[] = [];
  let clickhouseBytes = 0;
  for (const [i] of cluster.servers.entries()) {
    perShardRows.push(
      Number(await cluster.sql(`SELECT count() FROM ${db}.breakglass_entries_local`, i)),
    );
    clickhouseBytes += Number(
      await cluster.sql(
        `SELECT sum(bytes_on_disk) FROM system.parts WHERE database = '${db}' AND active`,
        i,
      ),
    );
  }
  const total = perShardRows.reduce((a, b) => a + b, 0);
  if (total !== summary.records) {
    throw new Error(`the shards hold ${total} rows, the load reported ${summary.records}`);
  }
  return {
    label: opts.label,
    wallMs: run.wallMs,
    summarySeconds: summary.seconds,
    records: summary.records,
    badLines: summary.badLines,
    peakRssBytes: run.peakRssBytes,
    clickhouseBytes,
    perShardRows,
    logBytes: opts.logBytes,
  };
}
