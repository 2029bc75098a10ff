// The local backend: the LMDB index (store/index-reader.ts) behind the QueryBackend seam. A thin
// wrapper: each operation is the module that has always answered it (execute.ts, the dictionary
// groups, time-sort.ts, request-id-records.ts, explain.ts), called with the selection's plan.
import type { IndexReader } from "../store/index-reader.js";
import type { FieldRef } from "./ast.js";
import {
  countGroupsByDictionary,
  dictionaryGroupable,
  distinctFirsts,
  timelinePoints,
  type DistinctFirst,
} from "./dictionary-groups.js";
import { countPlan, executePlan, recordById, type NodeStats } from "./execute.js";
import { explainPlan, noTimeNote } from "./explain.js";
import { columnLeaseItems, type LeaseColumns } from "./lease-columns.js";
import { staleFieldsNote } from "./stale-fields.js";
import type { MatchedRecord } from "./matched-record.js";
import type { QueryBackend, Selection } from "./query-backend.js";
import { recordIdsByRequestIds } from "./request-id-records.js";
import type { StageOutput } from "./stage-output.js";
import type { Group } from "./stages/count-by-stage.js";
import type { TimelinePoint } from "./stages/timeline-stage.js";
import { sortByTime } from "./time-sort.js";

export class LocalBackend implements QueryBackend {
  /**
   * @param leaseColumns  kept by a long-running process (serve) across queries: `leases`
   *   is then answered from them. A one-shot query (and the shell, whose first `leases` would
   *   pay for every matched segment's column) has none: building a column costs more than one
   *   query saves.
   */
  constructor(
    readonly reader: IndexReader,
    private readonly onClose: () => Promise<void> = async () => {},
    private readonly leaseColumns?: LeaseColumns,
  ) {}

  leaseItems(sel: Selection, stats?: NodeStats): AsyncIterable<StageOutput> | undefined {
    if (!this.leaseColumns) return undefined;
    return columnLeaseItems(this.reader, this.leaseColumns, sel.plan, stats);
  }

  records(sel: Selection, stats?: NodeStats): AsyncGenerator<MatchedRecord> {
    return executePlan(this.reader, sel.plan, stats);
  }

  count(sel: Selection, stats?: NodeStats): Promise<number> {
    return countPlan(this.reader, sel.plan, stats);
  }

  groupable(_sel: Selection, field: FieldRef): boolean {
    return dictionaryGroupable(field);
  }

  countGroups(sel: Selection, field: FieldRef, stats?: NodeStats): Promise<Group[]> {
    return countGroupsByDictionary(this.reader, sel.plan, field, stats);
  }

  distinctFirsts(
    sel: Selection,
    field: FieldRef,
    stats?: NodeStats,
  ): AsyncGenerator<DistinctFirst> {
    return distinctFirsts(this.reader, sel.plan, field, stats);
  }

  timelinePoints(sel: Selection, stats?: NodeStats): Promise<TimelinePoint[]> {
    return timelinePoints(this.reader, sel.plan, stats);
  }

  sortByTime(
    sel: Selection,
    desc: boolean,
    limit: number | undefined,
    stats?: NodeStats,
  ): AsyncGenerator<StageOutput> {
    return sortByTime(this.reader, sel.plan, desc, limit, this, stats);
  }

  record(id: number): MatchedRecord {
    return recordById(this.reader, id);
  }

  async recordIdsByRequestIds(requestIds: readonly string[]): Promise<Map<string, number[]>> {
    return recordIdsByRequestIds(this.reader, requestIds);
  }

  async explain(sel: Selection, stats?: NodeStats): Promise<string> {
    return explainPlan(this.reader, sel.plan, stats);
  }

  async note(sel: Selection): Promise<string | undefined> {
    const notes = [
      noTimeNote(this.reader, sel.plan),
      staleFieldsNote(this.reader, sel.plan, sel.query.stages),
    ].filter((n) => n !== undefined);
    return notes.length > 0 ? notes.join("\n") : undefined;
  }

  close(): Promise<void> {
    return this.onClose();
  }
}
