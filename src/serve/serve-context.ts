// What every route shares: where the answers come from (the index's snapshots or ClickHouse), the query slots, the server's settings and its
// activity counters (GET /api/v1/server shows them; tests read them to see a query cancelled).
import type { HashOptions } from "./index-snapshots.js";
import type { QuerySlots } from "./query-slots.js";
import type { ServeSource } from "./serve-source.js";

export interface Activity {
  /** Query-like requests (query, explain, timeline, leases, revoke's query) finished or stopped. */
  served: number;
  /** Of those, stopped because the client went away. */
  cancelled: number;
  /** Results taken from the engine, over all queries. */
  rowsPulled: number;
}

export interface ServeContext {
  readonly dbDir: string;
  /** The local index, or ClickHouse with `--backend`. */
  readonly snapshots: ServeSource;
  readonly slots: QuerySlots;
  readonly activity: Activity;
  readonly allowRevoke: boolean;
  readonly hash: HashOptions;
  /** The revoke journal (default: revoke-journal.ndjson in the index directory). */
  readonly journalFile: string;
}
