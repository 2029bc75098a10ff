// Logs loaded into the two-shard test cluster with `index --backend`'s loader and opened for
// queries, for suites that run the same queries on the local index and on ClickHouse. One cluster
// per test file (started on first use, stopped by stopSharedCluster), one database per load.
import { parseClickhouseUrl } from "../../src/backend/backend-url.js";
import { loadIntoClickhouse } from "../../src/backend/clickhouse/clickhouse-loader.js";
import { openClickhouse, type OpenIndexOptions, type QuerySource } from "../../src/index-api.js";
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
