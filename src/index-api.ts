// openIndex: an index directory opened for reading, with the lookups the query engine uses
// (records by id, posting lists by field and value or range) and the engine itself. The CLI's
// query, stats, shell and revoke --query commands and library users all go through this.
import { recordEntry } from "./audit/framing/record-json.js";
import { withOrigin } from "./audit/record-origin.js";
import { fieldByName, type FieldSpec } from "./audit/field-catalog.js";
import { kindValue, type AuditEntry } from "./audit/audit-entry.js";
import { binaryToBytes, isCutTerm, termOf } from "./audit/index-term.js";
import { cidrTest, compareTest, type EntryTest } from "./query/entry-predicate.js";
import { cidrRange } from "./audit/ip-key.js";
import { forEachBit } from "./query/execute.js";
import { UsageError } from "./errors.js";
import type { BackendTarget, ClickhouseTarget } from "./backend/backend-url.js";
import { ClickhouseBackend } from "./backend/clickhouse/clickhouse-backend.js";
import { connectServers, ensureSchema } from "./backend/clickhouse/clickhouse-tables.js";
import { LocalBackend } from "./query/local-backend.js";
import { QueryEngine, type HashResolver } from "./query/query-engine.js";
import { closeScanPool } from "./query/scan-pool.js";
import type { MatchedRecord } from "./query/matched-record.js";
import { openIndexEnv } from "./store/index-env.js";
import { IndexReader } from "./store/index-reader.js";
import { isFieldCurrent } from "./store/segment-catalog.js";
import { indexStats, type IndexStats } from "./store/index-stats.js";
import {
  checkCustody,
  custodyReport,
  type CustodyCheck,
  type CustodyReport,
} from "./evidence/custody-report.js";

export interface OpenIndexOptions {
  /** The audit device's salt for hash(); default $BREAKGLASS_AUDIT_SALT, else Vault is asked. */
  readonly salt?: string | undefined;
  /** The audit device Vault's sys/audit-hash is asked about (default "file"). */
  readonly auditDevice?: string | undefined;
}

export interface BreakglassIndex {
  readonly dir: string;
  readonly recordCount: number;
  readonly engine: QueryEngine;
  /** The original line of a record, byte for byte. */
  line(id: number): Buffer;
  /** Record ids holding exactly `value` in catalog field `field` (ascending). */
  postings(field: string, value: string): number[];
  /** Record ids whose `ip` is in a CIDR (ascending). */
  postingsInCidr(cidr: string): number[];
  /** The records a query's filter matches (its stages are not applied). */
  records(query: string): AsyncGenerator<MatchedRecord>;
  stats(opts?: { badLines?: boolean }): IndexStats;
  /** The chain of custody: file and segment SHA-256s and the root digest (metadata only). */
  custody(): CustodyReport;
  /** The same, with every segment's digest taken again from its stored records. */
  checkCustody(): CustodyCheck;
  close(): Promise<void>;
}

function hashResolver(opts: OpenIndexOptions): HashResolver {
  return async (plaintexts) => {
    const { resolveAuditHashes } = await import("./vault/audit-hash.js");
    return resolveAuditHashes(plaintexts, {
      ...(opts.salt !== undefined ? { salt: opts.salt } : {}),
      ...(opts.auditDevice !== undefined ? { device: opts.auditDevice } : {}),
    });
  };
}

export function openIndex(dir: string, opts: OpenIndexOptions = {}): BreakglassIndex {
  const env = openIndexEnv(dir, { create: false, readOnly: true });
  let reader: IndexReader;
  try {
    reader = new IndexReader(env);
  } catch (err) {
    void env.close(); // a damaged index: close it, so the directory can be opened again
    throw err;
  }
  const engine = new QueryEngine(new LocalBackend(reader), hashResolver(opts));
  /**
   * Records holding `lo` (or a term in [lo, hi]) of field `spec`; a segment whose postings cannot
   * answer for the field (indexed before it existed, or at another revision of it) is answered
   * by `test` on its entries.
   */
  const collect = (
    spec: FieldSpec,
    lo: Buffer,
    hi: Buffer | undefined,
    test: EntryTest,
  ): number[] => {
    const field = spec.code;
    const ids: number[] = [];
    for (const segment of reader.segments) {
      if (!isFieldCurrent(segment, spec)) {
        const origin = reader.originOf(segment);
        for (let local = 0; local < segment.records; local++) {
          const entry = withOrigin(
            recordEntry<AuditEntry>(reader.lineInSegment(segment, local)),
            origin,
          );
          if (test(entry)) ids.push(segment.base + local);
        }
        continue;
      }
      const bits = reader.newBitset(segment);
      if (hi === undefined) reader.addTerm(field, segment, lo, bits);
      else reader.scanTerms(field, segment, lo, hi, (_t, postings) => postings.add(bits));
      forEachBit(bits, (local) => ids.push(segment.base + local));
    }
    return ids;
  };
  return {
    dir,
    recordCount: reader.recordCount,
    engine,
    line: (id) => reader.line(id),
    postings(field, value) {
      const spec = fieldByName(field);
      if (!spec) throw new UsageError(`unknown field ${field}`);
      const v = kindValue(spec.kind, value);
      const term = v === undefined ? undefined : termOf(spec.kind, v);
      if (term === undefined) return [];
      const test = compareTest(
        { kind: "field", name: spec.name, catalog: true, offset: 0 },
        "=",
        value,
      );
      const ids = collect(spec, binaryToBytes(term), undefined, test);
      if (!isCutTerm(term)) return ids;
      // The term holds only the value's start (a long text, an HMAC's digest prefix): keep the
      // records that really hold the value.
      return ids.filter((id) => {
        const segment = reader.segmentOf(id);
        const origin = segment && reader.originOf(segment);
        return test(withOrigin(recordEntry<AuditEntry>(reader.line(id)), origin));
      });
    },
    postingsInCidr(cidr) {
      const range = cidrRange(cidr);
      if (typeof range === "string") throw new UsageError(range);
      const ip = fieldByName("ip")!;
      const test = cidrTest({ kind: "field", name: ip.name, catalog: true, offset: 0 }, range);
      return collect(ip, Buffer.from(range.lo), Buffer.from(range.hi), test);
    },
    async *records(query) {
      const prepared = await engine.prepare(query);
      yield* engine.records(prepared);
    },
    stats: (o) => indexStats(reader, { badLines: o?.badLines ?? false }),
    custody: () => custodyReport(reader),
    checkCustody: () => checkCustody(reader),
    close: async () => {
      await closeScanPool(); // scan workers would otherwise keep the process alive a little
      await env.close();
    },
  };
}

/** A query engine on some backend, and how to let it go: what `query`, `shell`, `revoke --query`
 * need, on the local index or on ClickHouse alike. */
export interface QuerySource {
  readonly engine: QueryEngine;
  close(): Promise<void>;
}

/**
 * The data loaded into ClickHouse by `index --backend` (docs/clickhouse.md), opened for queries:
 * the schema is checked on every server first (a database never loaded, or loaded by another
 * schema version or layout, is an error that says what to do).
 */
export async function openClickhouse(
  target: ClickhouseTarget,
  opts: OpenIndexOptions = {},
): Promise<QuerySource> {
  const servers = await connectServers(target);
  try {
    await ensureSchema(servers, false);
  } finally {
    servers.close();
  }
  const backend = new ClickhouseBackend(target);
  return { engine: new QueryEngine(backend, hashResolver(opts)), close: () => backend.close() };
}

/** The backend a command names (`--backend`): ClickHouse, or the local index in `dir`. */
export async function openQuerySource(
  target: BackendTarget,
  dir: string,
  opts: OpenIndexOptions = {},
): Promise<QuerySource> {
  return target.kind === "clickhouse" ? openClickhouse(target, opts) : openIndex(dir, opts);
}
