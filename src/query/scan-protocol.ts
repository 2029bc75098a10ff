// The typed boundary between the executor and its scan workers: a segment's compressed record
// blocks and the predicate to test (as resolved AST data: closures do not cross threads).
import type { RecordOrigin } from "../audit/record-origin.js";
import type { Expr } from "./ast.js";

export interface ScanTask {
  /** The segment's LZ4 blocks, back to back; block i is [offsets[i], offsets[i+1]); its dictionary (line blocks) before offsets[0]. */
  readonly blocks: ArrayBuffer;
  readonly offsets: readonly number[];
  /** Local id of each block's first record. */
  readonly blockStarts: readonly number[];
  readonly records: number;
  /** Records to test (a bitset over the segment), or all when undefined. */
  readonly candidates: ArrayBuffer | undefined;
  readonly expr: Expr;
  readonly query: string;
  /** Bytes a matching line must contain (checked before parsing). */
  readonly needle: string | undefined;
  /** The segment's records' origin (fields `source` and `device`). */
  readonly origin: RecordOrigin | undefined;
}

/**
 * The matching records, a bitset over the segment; or, when a block fails its checksum, which
 * one and why (as data: an error thrown in a worker loses its class).
 */
export type ScanResult = ArrayBuffer | ScanDamage;

export interface ScanDamage {
  /** The block's number in the segment. */
  readonly damagedBlock: number;
  /** What failed ("fails its checksum (part 2)"). */
  readonly reason: string;
}
