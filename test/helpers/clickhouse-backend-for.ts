// Logs loaded into the two-shard test cluster with `index --backend`'s loader and opened for
// queries, for suites that run the same queries on the local index and on ClickHouse. One cluster
// per test file (started on first use, stopped by stopSharedCluster), one database per load.
import { parseClickhouseUrl } from "../../src/backend/backend-url.js";
import { loadIntoClickhouse } from "../../src/backend/clickhouse/clickhouse-loader.js";
import { openClickhouse, type OpenIndexOptions, type QuerySource } from "../../src/index-api.js";
import { runBin } from "./run-bin.js";
import {
  CLICKHOUSE_TEST_PASSWORD,
  startClickhouseCluster,
  type ClickhouseCluster,
} from "./clickhouse-cluster.js";

let shared: Promise<ClickhouseCluster> | undefined;
let databases = 0;

export function sharedCluster(): Promise<ClickhouseCluster> {
  return (shared ??= startClickhouseCluster());
}

export async function stopSharedCluster(): Promise<void> {
  const c = shared;
  shared = undefined;
  await (await c)?.stop();
}

/** The backend URL of a fresh database on the shared cluster (through its Distributed tables). */
export async function freshClickhouseUrl(): Promise<string> {
  const cluster = await sharedCluster();
  return cluster.url(`bg_test_${process.pid}_${databases++}`, { cluster: true });
}

/**
 * `log` indexed through the built bin twice: into a local index at `db` and into a fresh database
 * of the shared cluster; the backend URL. Either failing throws with its stderr.
 */
export async function indexLocallyAndOnClickhouse(
  home: string,
  db: string,
  log: string,
): Promise<string> {
  const url = await freshClickhouseUrl();
  const env = { HOME: home, CLICKHOUSE_PASSWORD: CLICKHOUSE_TEST_PASSWORD };
  for (const args of [
    ["index", "--db", db, log],
    ["index", "--backend", url, log],
  ]) {
    const r = await runBin(args, env);
    if (r.code !== 0) throw new Error(`${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
  }
  return url;
}

/** `files` loaded into a fresh database of the shared cluster, opened for queries. */
export async function clickhouseWith(
  files: readonly string[],
  opts: OpenIndexOptions = {},
): Promise<QuerySource & { url: string }> {
  const url = await freshClickhouseUrl();
  const target = parseClickhouseUrl(url, { CLICKHOUSE_PASSWORD: CLICKHOUSE_TEST_PASSWORD });
  const summary = await loadIntoClickhouse(target, files, { workers: 2 });
  if (summary.fileErrors.length > 0)
    throw new Error(`load failed: ${summary.fileErrors.join("; ")}`);
  return { ...(await openClickhouse(target, opts)), url };
}
