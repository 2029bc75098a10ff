// The index as a long-running server sees it: one LMDB environment opened once, and a query
// engine over the newest committed snapshot. Each request takes the current snapshot (`acquire`)
// and gives it back (`release`); when the index has changed since the snapshot was taken (a
// commit by `index`, `listen` or `index --follow`, in any process: store/index-generation.ts),
// the next acquire builds a new reader, so answers include what writers commit. An old snapshot
// stays whole for the requests still reading it and ends (its read transaction released) when
// the last of them is done. Cost of a refresh: reading the segment list (~1 ms on a large index),
// only after a commit. The segments' lease columns (query/lease-columns.ts) outlive snapshots:
// a new snapshot reuses those of the segments it still has.
import { resolveAuditHashes } from "../vault/audit-hash.js";
import { QueryEngine, type HashResolver } from "../query/query-engine.js";
import { LeaseColumns } from "../query/lease-columns.js";
import { LocalBackend } from "../query/local-backend.js";
import { closeScanPool } from "../query/scan-pool.js";
import { openIndexEnv, type IndexEnv } from "../store/index-env.js";
import { indexGeneration } from "../store/index-generation.js";
import { IndexReader } from "../store/index-reader.js";
import { indexStats, type IndexStats } from "../store/index-stats.js";
import type { ServeSnapshot, ServeSource, SourceSummary } from "./serve-source.js";

export interface HashOptions {
  /** The audit device's salt for hash(); else $BREAKGLASS_AUDIT_SALT, else Vault is asked. */
  readonly salt?: string | undefined;
  readonly auditDevice?: string | undefined;
}

/** One reader's view of the index, shared by the requests that took it. */
export interface IndexSnapshot extends ServeSnapshot {
  readonly generation: number;
  readonly recordCount: number;
  stats(opts: { badLines: boolean }): IndexStats;
}

interface Held {
  readonly snapshot: IndexSnapshot;
  readonly reader: IndexReader;
  users: number;
  current: boolean;
}

export function hashResolverOf(opts: HashOptions): HashResolver {
  return (plaintexts) =>
    resolveAuditHashes(plaintexts, {
      ...(opts.salt !== undefined ? { salt: opts.salt } : {}),
      ...(opts.auditDevice !== undefined ? { device: opts.auditDevice } : {}),
    });
}

export class IndexSnapshots implements ServeSource {
  readonly backend = "local";
  private readonly env: IndexEnv;
  private readonly hash: HashResolver;
  private held: Held;
  private readonly byEngine = new Map<QueryEngine, Held>();
  /** Kept across snapshots: a segment's lease column stays right while the segment exists. */
  private readonly leaseColumns = new LeaseColumns();
  private closed = false;

  /** Opens the index read-only; throws the index's InputError when there is none. */
  constructor(
    readonly dir: string,
    opts: HashOptions,
  ) {
    this.env = openIndexEnv(dir, { create: false, readOnly: true });
    this.hash = hashResolverOf(opts);
    try {
      this.held = this.open();
    } catch (err) {
      void this.env.close();
      throw err;
    }
  }

  private open(): Held {
    const generation = indexGeneration(this.env);
    const reader = new IndexReader(this.env);
    this.leaseColumns.retain(reader.segments);
    const backend = new LocalBackend(reader, undefined, this.leaseColumns);
    const engine = new QueryEngine(backend, this.hash);
    const snapshot: IndexSnapshot = {
      engine,
      generation,
      recordCount: reader.recordCount,
      stats: (o) => indexStats(reader, o),
    };
    const held: Held = { snapshot, reader, users: 0, current: true };
    this.byEngine.set(engine, held);
    return held;
  }

  /** The newest snapshot, held until `release(snapshot)`. */
  acquire(): IndexSnapshot {
    if (this.closed) throw new Error("the index is closed");
    if (indexGeneration(this.env) !== this.held.snapshot.generation) {
      const old = this.held;
      this.held = this.open();
      old.current = false;
      this.endIfIdle(old);
    }
    this.held.users++;
    return this.held.snapshot;
  }

  release(snapshot: ServeSnapshot): void {
    const held = this.byEngine.get(snapshot.engine);
    if (!held) return;
    held.users--;
    this.endIfIdle(held);
  }

  /** Run `work` on the newest snapshot, released when it settles. */
  async with<T>(work: (snapshot: IndexSnapshot) => Promise<T> | T): Promise<T> {
    const snapshot = this.acquire();
    try {
      return await work(snapshot);
    } finally {
      this.release(snapshot);
    }
  }

  summary(): Promise<SourceSummary> {
    return this.with((s) => ({ records: s.recordCount, generation: s.generation }));
  }

  stats(opts: { badLines: boolean }): Promise<IndexStats> {
    return this.with((s) => s.stats(opts));
  }

  private endIfIdle(held: Held): void {
    if (held.current || held.users > 0) return;
    this.byEngine.delete(held.snapshot.engine);
    held.reader.release();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeScanPool();
    await this.env.close();
  }
}
