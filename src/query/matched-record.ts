// A record the executor found: its id, its original line (byte for byte) and its parsed entry.
// Stages and output read records only through this interface, never the store.

import type { AuditEntry } from "../audit/audit-entry.js";

export interface MatchedRecord {
  /** Global record id (ascending in the order entries were indexed). */
  readonly id: number;
  /**
   * The original line(s) as written, without the line ending (and without a device prefix):
   * framing and all (syslog, Docker, CRI, journald; audit/framing/record-json.ts unwraps it).
   */
  readonly line: Buffer;
  /** The parsed entry; parsed on first call and cached. */
  entry(): AuditEntry;
}

/** What stages may ask of the index beyond the record stream (`pair` looks partners up). */
export interface StageContext {
  /** For each request id, the ids of the records whose request.id equals it, ascending. */
  recordIdsByRequestIds(
    requestIds: readonly string[],
  ): Promise<ReadonlyMap<string, readonly number[]>>;
  /** The record with this id (`sort` keeps ids, not lines, and reads them back in order). */
  record(id: number): MatchedRecord;
}
