// openIndex: an index directory opened for reading, with the lookups the query engine uses
// (records by id, posting lists by field and value or range) and the engine itself. The CLI's
// query, stats, shell and revoke --query commands and library users all go through this.
import { recordEntry } from "./audit/framing/record-json.js";
import { withOrigin } from "./audit/record-origin.js";
import { fieldByName } from "./audit/field-catalog.js";
import { kindValue, type AuditEntry } from "./audit/audit-entry.js";
import { binaryToBytes, isCutTerm, termOf } from "./audit/index-term.js";
import { compareTest } from "./query/entry-predicate.js";
import { cidrRange } from "./audit/ip-key.js";
import { forEachBit } from "./query/execute.js";
import { UsageError } from "./errors.js";
import { QueryEngine, type HashResolver } from "./query/query-engine.js";
import { closeScanPool } from "./query/scan-pool.js";
import type { MatchedRecord } from "./query/matched-record.js";
import { openIndexEnv } from "./store/index-env.js";
import { IndexReader } from "./store/index-reader.js";
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
  const engine = new QueryEngine(reader, hashResolver(opts));
  const collect = (field: number, lo: Buffer, hi: Buffer | undefined): number[] => {
    const ids: number[] = [];
    for (const segment of reader.segments) {
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
      const ids = collect(spec.code, binaryToBytes(term), undefined);
      if (!isCutTerm(term)) return ids;
      // The term holds only the value's start (a long text, an HMAC's digest prefix): keep the
      // records that really hold the value.
      const test = compareTest(
        { kind: "field", name: spec.name, catalog: true, offset: 0 },
        "=",
        value,
      );
      return ids.filter((id) => {
        const segment = reader.segmentOf(id);
        const origin = segment && reader.originOf(segment);
        return test(withOrigin(recordEntry<AuditEntry>(reader.line(id)), origin));
      });
    },
    postingsInCidr(cidr) {
      const range = cidrRange(cidr);
      if (typeof range === "string") throw new UsageError(range);
      return collect(fieldByName("ip")!.code, Buffer.from(range.lo), Buffer.from(range.hi));
    },
    async *records(query) {
      const prepared = await engine.prepare(query);
      yield* engine.records(prepared.plan);
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
