// The query engine over an open index: text → AST (parse-query) → values resolved (hash(),
// subqueries) → plan → matching records, and the lookups stages need (pair's partners, records
// by id).
// One engine serves many queries (the shell keeps it open: LMDB is opened once).
import { scalarText } from "../audit/audit-entry.js";
import { QueryError } from "../errors.js";
import type { IndexReader } from "../store/index-reader.js";
import type { FieldRef, Query } from "./ast.js";
import {
  countGroupsByDictionary,
  distinctFirsts,
  distinctValues,
  timelinePoints,
  type DistinctFirst,
} from "./dictionary-groups.js";
import { countPlan, executePlan, NodeStats, recordById } from "./execute.js";
import { explainPlan } from "./explain.js";
import type { MatchedRecord, StageContext } from "./matched-record.js";
import { parseQuery } from "./parse-query.js";
import { planExpr, type PlanNode } from "./plan.js";
import { recordIdsByRequestIds } from "./request-id-records.js";
import { resolveValues } from "./resolve-values.js";
import type { StageOutput } from "./stage-output.js";
import { sortByTime } from "./time-sort.js";
import { runPrepared } from "./run-query.js";
import type { Group } from "./stages/count-by-stage.js";
import type { TimelinePoint } from "./stages/timeline-stage.js";

export type HashResolver = (plaintexts: readonly string[]) => Promise<string[]>;

export interface PreparedQuery {
  readonly query: Query;
  readonly plan: PlanNode;
}

export class QueryEngine implements StageContext {
  constructor(
    readonly reader: IndexReader,
    private readonly hash: HashResolver,
  ) {}

  async prepare(text: string): Promise<PreparedQuery> {
    const parsed = parseQuery(text);
    return this.prepareParsed(parsed);
  }

  private async prepareParsed(parsed: Query): Promise<PreparedQuery> {
    const resolved = await resolveValues(parsed, {
      hash: this.hash,
      subquery: (q) => this.subqueryValues(q),
    });
    return { query: resolved, plan: planExpr(resolved.where, parsed.text) };
  }

  /**
   * A subquery's values: its whole pipeline run as the same query alone would run (runPrepared),
   * then the values of its final `distinct FIELD`, in order, as text (a number as JSON writes it;
   * objects, arrays and null are no value to compare with).
   */
  private async subqueryValues(q: Query): Promise<string[]> {
    const last = q.stages[q.stages.length - 1];
    if (!last || last.kind !== "distinct") {
      throw new QueryError("a subquery must end in `| distinct FIELD`", q.text, 0);
    }
    const { plan } = await this.prepareParsed(q);
    const values: string[] = [];
    for await (const item of runPrepared(this, plan, q.stages, undefined)) {
      if (item.kind !== "value") throw new Error(`a subquery yielded a ${item.kind} item`);
      const text = scalarText(item.value);
      if (text !== undefined) values.push(text);
    }
    return values;
  }

  records(plan: PlanNode, stats?: NodeStats): AsyncIterable<MatchedRecord> {
    return executePlan(this.reader, plan, stats);
  }

  count(plan: PlanNode, stats?: NodeStats): Promise<number> {
    return countPlan(this.reader, plan, stats);
  }

  /** `count by F` over the plan's records, from the dictionary where it can (dictionary-groups). */
  countGroups(plan: PlanNode, field: FieldRef, stats?: NodeStats): Promise<Group[]> {
    return countGroupsByDictionary(this.reader, plan, field, stats);
  }

  /** `distinct F` over the plan's records, from the dictionary where it can (dictionary-groups). */
  distinctValues(plan: PlanNode, field: FieldRef, stats?: NodeStats): AsyncGenerator<string> {
    return distinctValues(this.reader, plan, field, stats);
  }

  /** distinctValues with each value's first record (`leases` from the lease dictionary). */
  distinctFirsts(
    plan: PlanNode,
    field: FieldRef,
    stats?: NodeStats,
  ): AsyncGenerator<DistinctFirst> {
    return distinctFirsts(this.reader, plan, field, stats);
  }

  /** `timeline`'s points over the plan's records, from the time dictionary where it can. */
  timelinePoints(plan: PlanNode, stats?: NodeStats): Promise<TimelinePoint[]> {
    return timelinePoints(this.reader, plan, stats);
  }

  /** `sort time [desc]` (`| limit N`: its first N) over the plan's records, keyed from the time
   * dictionary where it can (time-sort.ts). */
  sortByTime(
    plan: PlanNode,
    desc: boolean,
    limit: number | undefined,
    stats?: NodeStats,
  ): AsyncGenerator<StageOutput> {
    return sortByTime(this.reader, plan, desc, limit, this, stats);
  }

  record(id: number): MatchedRecord {
    return recordById(this.reader, id);
  }

  explain(plan: PlanNode, stats?: NodeStats): string {
    return explainPlan(this.reader, plan, stats);
  }

  /** `pair`'s partners, in bulk (request-id-records.ts). */
  async recordIdsByRequestIds(requestIds: readonly string[]): Promise<Map<string, number[]>> {
    return recordIdsByRequestIds(this.reader, requestIds);
  }
}

export { NodeStats };
