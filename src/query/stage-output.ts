// What flows out of the stages (and into src/output/): the matched records themselves, or what a
// stage made of them. One `kind` per shape; writers switch on it exhaustively. Items are plain
// readonly data, except records, which keep their original line bytes for byte-exact output.
import type { MatchedRecord } from "./matched-record.js";

/** A value as it can appear in an audit entry (and so in a projection or a distinct value). */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export type StageOutput =
  /** A matched audit entry (no stage, or `limit`, `sort`). */
  | { readonly kind: "record"; readonly record: MatchedRecord }
  /** `pair`: a match with its partner, joined by request id (null when the partner is missing). */
  | {
      readonly kind: "pair";
      readonly requestId: string | null;
      readonly request: MatchedRecord | null;
      readonly response: MatchedRecord | null;
    }
  /** `leases`: a lease id and the namespace path of the entry that issued it (for the revoker). */
  | { readonly kind: "lease"; readonly lease: string; readonly namespace: string | null }
  /** `distinct F`: one distinct value of field F. */
  | { readonly kind: "value"; readonly field: string; readonly value: JsonValue }
  /** `fields F1, F2`: one projection; `values[i]` is null, a value, or an array when several. */
  | {
      readonly kind: "row";
      readonly columns: readonly string[];
      readonly values: readonly JsonValue[];
    }
  /** `count by F`, `top N F`: a value of F and how many items had it. */
  | {
      readonly kind: "group";
      readonly field: string;
      readonly value: JsonValue;
      readonly count: number;
    }
  /** `count`: how many items reached it. */
  | { readonly kind: "count"; readonly count: number }
  /** `timeline`: how many entries fell in [startMs, startMs + intervalMs). */
  | {
      readonly kind: "bucket";
      readonly startMs: number;
      readonly intervalMs: number;
      readonly count: number;
    };

export type StageOutputKind = StageOutput["kind"];
