// `breakglass serve --backend clickhouse://…`: the data loaded into ClickHouse as the routes see
// it (serve-source.ts). Opening checks that every server answers and holds breakglass's schema
// (an unreachable server or a database never loaded fails the start). Each request then gets its
// own ClickhouseBackend and engine: the backend keeps the records it read (pair and sort read them
// back by id), so one per request frees them when the request ends, and closing it drops its
// connections, which stops any query of that request still running on the server.
// There is no snapshot to refresh: every request sees what ClickHouse holds when it runs.
// Messages name the server by describeTarget (never the password).
import { describeTarget, type ClickhouseTarget } from "../backend/backend-url.js";
import { ClickhouseBackend } from "../backend/clickhouse/clickhouse-backend.js";
import { clickhouseStats } from "../backend/clickhouse/clickhouse-stats.js";
import { connectServers, ensureSchema } from "../backend/clickhouse/clickhouse-tables.js";
import { QueryEngine, type HashResolver } from "../query/query-engine.js";
import type { IndexStats } from "../store/index-stats.js";
import type { ServeSnapshot, ServeSource, SourceSummary } from "./serve-source.js";

export class ClickhouseSource implements ServeSource {
  readonly backend: string;
  private readonly open = new Map<QueryEngine, ClickhouseBackend>();
  private closed = false;

  private constructor(
    private readonly target: ClickhouseTarget,
    private readonly hash: HashResolver,
  ) {
    this.backend = describeTarget(target) + (target.cluster ? `?cluster=${target.cluster}` : "");
  }

  /** Reaches every server of the target and checks the schema there (InputError if not). */
  static async open(target: ClickhouseTarget, hash: HashResolver): Promise<ClickhouseSource> {
    const servers = await connectServers(target);
    try {
      await ensureSchema(servers, false);
    } finally {
      servers.close();
    }
    return new ClickhouseSource(target, hash);
  }

  acquire(): ServeSnapshot {
    if (this.closed) throw new Error("the ClickHouse source is closed");
    const backend = new ClickhouseBackend(this.target);
    const engine = new QueryEngine(backend, this.hash);
    this.open.set(engine, backend);
    return { engine };
  }

  release(snapshot: ServeSnapshot): void {
    const backend = this.open.get(snapshot.engine);
    if (!backend) return;
    this.open.delete(snapshot.engine);
    void backend.close();
  }

  async with<T>(work: (snapshot: ServeSnapshot) => Promise<T> | T): Promise<T> {
    const snapshot = this.acquire();
    try {
      return await work(snapshot);
    } finally {
      this.release(snapshot);
    }
  }

  summary(): Promise<SourceSummary> {
    return this.with(async ({ engine }) => ({
      records: await engine.count(await engine.prepare("*")),
      generation: null,
    }));
  }

  stats(opts: { badLines: boolean }): Promise<IndexStats> {
    return clickhouseStats(this.target, opts);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const backend of this.open.values()) await backend.close();
    this.open.clear();
  }
}
