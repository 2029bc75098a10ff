// The seam between the query language and where the entries live. Parsing, resolution (hash(),
// subqueries) and planning happen in src/query/ whatever the backend; a backend answers the data
// operations the pipeline needs for one prepared where-clause (its resolved expression and its
// plan): the matching records, their count, the first stage answered without the records
// (`count by`, `top`, `distinct`, `leases`, `timeline`, `sort time`), and the lookups stages make
// (pair's partners, records by id). Two implementations: the local LMDB index
// (local-backend.ts) and ClickHouse (backend/clickhouse/clickhouse-backend.ts).
// Every implementation must give the same answers, in the same order, as the local index; the
// only types that cross this seam are the query's own (no storage type).
import type { FieldRef, Query } from "./ast.js";
import type { DistinctFirst } from "./dictionary-groups.js";
import type { NodeStats } from "./execute.js";
import type { MatchedRecord, StageContext } from "./matched-record.js";
import type { PlanNode } from "./plan.js";
import type { StageOutput } from "./stage-output.js";
import type { Group } from "./stages/count-by-stage.js";
import type { TimelinePoint } from "./stages/timeline-stage.js";

/** A where-clause ready to run: the resolved query (literals only) and its plan. */
export interface Selection {
  readonly query: Query;
  readonly plan: PlanNode;
}

export interface QueryBackend extends StageContext {
  /** Every record the selection matches, in index order (ascending id). Stop iterating to stop. */
  records(sel: Selection, stats?: NodeStats): AsyncIterable<MatchedRecord>;
  /** How many records match. */
  count(sel: Selection, stats?: NodeStats): Promise<number>;
  /**
   * Whether `count by F`, `top N F` and `distinct F` as the first stage are answered by
   * countGroups / distinctFirsts (false: the pipeline reads the records and runs the stage).
   */
  groupable(sel: Selection, field: FieldRef): boolean;
  /** `count by F` over the matches: largest count first, ties in count-by-stage's order. */
  countGroups(sel: Selection, field: FieldRef, stats?: NodeStats): Promise<Group[]>;
  /** `distinct F` (F groupable): each value in order of first appearance, with its first record. */
  distinctFirsts(sel: Selection, field: FieldRef, stats?: NodeStats): AsyncIterable<DistinctFirst>;
  /**
   * `leases` as the first stage, when the backend answers it without distinctFirsts (the local
   * index's lease columns, in a long-running process); undefined: it does not.
   */
  leaseItems?(sel: Selection, stats?: NodeStats): AsyncIterable<StageOutput> | undefined;
  /** `timeline`'s points over the matches. */
  timelinePoints(sel: Selection, stats?: NodeStats): Promise<TimelinePoint[]>;
  /** `sort time [desc]` (`| limit N`: its first N) over the matches. */
  sortByTime(
    sel: Selection,
    desc: boolean,
    limit: number | undefined,
    stats?: NodeStats,
  ): AsyncIterable<StageOutput>;
  /** The plan as text for `--explain`, with what the run measured. */
  explain(sel: Selection, stats?: NodeStats): Promise<string>;
  /** Notes for stderr about the answer (entries with no time when the query tests time; local
   * segments indexed before a field the query reads, which were scanned), one per line. */
  note(sel: Selection): Promise<string | undefined>;
  close(): Promise<void>;
}
