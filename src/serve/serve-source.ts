// Where `breakglass serve` answers from, as the routes see it: the local index
// (index-snapshots.ts, a snapshot per commit) or a ClickHouse database (clickhouse-source.ts, a
// backend per request). A request takes a snapshot (`acquire`), runs its queries on the snapshot's
// engine, and gives it back (`release`); `summary` and `stats` answer GET /api/v1/server and
// /api/v1/stats. Nothing here may name a secret: `backend` is shown to every client.
import type { QueryEngine } from "../query/query-engine.js";
import type { IndexStats } from "../store/index-stats.js";

/** One request's view of the data. */
export interface ServeSnapshot {
  readonly engine: QueryEngine;
}

export interface SourceSummary {
  readonly records: number;
  /** The local index's commit generation; null on ClickHouse (it has none). */
  readonly generation: number | null;
}

export interface ServeSource {
  /** `local`, or the ClickHouse URL without its password (describeTarget). */
  readonly backend: string;
  acquire(): ServeSnapshot;
  release(snapshot: ServeSnapshot): void;
  /** Run `work` on a snapshot, released when it settles. */
  with<T>(work: (snapshot: ServeSnapshot) => Promise<T> | T): Promise<T>;
  summary(): Promise<SourceSummary>;
  stats(opts: { badLines: boolean }): Promise<IndexStats>;
  close(): Promise<void>;
}
