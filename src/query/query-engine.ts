// The query engine over a backend: text → AST (parse-query) → values resolved (hash(),
// subqueries) → plan → what the backend answers for it (query-backend.ts: the local index or
// ClickHouse), and the lookups stages need (pair's partners, records by id).
// One engine serves many queries (the shell keeps it open: the backend is opened once).
import { scalarText } from "../audit/audit-entry.js";
import { QueryError } from "../errors.js";
import type { FieldRef, Query } from "./ast.js";
import type { DistinctFirst } from "./dictionary-groups.js";
import { NodeStats } from "./execute.js";
import type { MatchedRecord, StageContext } from "./matched-record.js";
import { parseQuery } from "./parse-query.js";
import { planExpr, type PlanNode } from "./plan.js";
import type { QueryBackend, Selection } from "./query-backend.js";
import { resolveValues } from "./resolve-values.js";
import type { StageOutput } from "./stage-output.js";
import { runPrepared } from "./run-query.js";
import type { Group } from "./stages/count-by-stage.js";
import type { TimelinePoint } from "./stages/timeline-stage.js";

export type HashResolver = (plaintexts: readonly string[]) => Promise<string[]>;

/**
 * Parsed queries kept by text: a long-running engine (serve, the shell) sees the same texts again
 * and again, and parsing one (Chevrotain, ~0.2–0.4 ms) was the largest fixed cost of a served
 * `ip = X | leases` after the lease columns. The AST is plain readonly data that depends on the
 * text alone (relative times are resolved later, per run), so it is shared safely.
 */
const PARSED_KEPT = 256;

export interface PreparedQuery extends Selection {
  readonly query: Query;
  readonly plan: PlanNode;
}

export class QueryEngine implements StageContext {
  private readonly parsed = new Map<string, Query>();

  constructor(
    readonly backend: QueryBackend,
    private readonly hash: HashResolver,
  ) {}

  async prepare(text: string): Promise<PreparedQuery> {
    let parsed = this.parsed.get(text);
    if (parsed === undefined) {
      parsed = parseQuery(text);
      if (this.parsed.size >= PARSED_KEPT) this.parsed.delete(this.parsed.keys().next().value!);
      this.parsed.set(text, parsed);
    }
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
    const prepared = await this.prepareParsed(q);
    const values: string[] = [];
    for await (const item of runPrepared(this, prepared, q.stages, undefined)) {
      if (item.kind !== "value") throw new Error(`a subquery yielded a ${item.kind} item`);
      const text = scalarText(item.value);
      if (text !== undefined) values.push(text);
    }
    return values;
  }

  records(sel: Selection, stats?: NodeStats): AsyncIterable<MatchedRecord> {
    return this.backend.records(sel, stats);
  }

  count(sel: Selection, stats?: NodeStats): Promise<number> {
    return this.backend.count(sel, stats);
  }

  /** Whether countGroups / distinctFirsts answer `count by F`, `top`, `distinct F` (see backend). */
  groupable(sel: Selection, field: FieldRef): boolean {
    return this.backend.groupable(sel, field);
  }

  /** `count by F` over the selection's records. */
  countGroups(sel: Selection, field: FieldRef, stats?: NodeStats): Promise<Group[]> {
    return this.backend.countGroups(sel, field, stats);
  }

  /** `distinct F` over the selection's records. */
  async *distinctValues(
    sel: Selection,
    field: FieldRef,
    stats?: NodeStats,
  ): AsyncGenerator<string> {
    for await (const first of this.backend.distinctFirsts(sel, field, stats)) yield first.text;
  }

  /** distinctValues with each value's first record (`leases` from the lease dictionary). */
  distinctFirsts(sel: Selection, field: FieldRef, stats?: NodeStats): AsyncIterable<DistinctFirst> {
    return this.backend.distinctFirsts(sel, field, stats);
  }

  /** `leases` over the selection's records, when the backend has its own way (see backend). */
  leaseItems(sel: Selection, stats?: NodeStats): AsyncIterable<StageOutput> | undefined {
    return this.backend.leaseItems?.(sel, stats);
  }

  /** `timeline`'s points over the selection's records. */
  timelinePoints(sel: Selection, stats?: NodeStats): Promise<TimelinePoint[]> {
    return this.backend.timelinePoints(sel, stats);
  }

  /** `sort time [desc]` (`| limit N`: its first N) over the selection's records. */
  sortByTime(
    sel: Selection,
    desc: boolean,
    limit: number | undefined,
    stats?: NodeStats,
  ): AsyncIterable<StageOutput> {
    return this.backend.sortByTime(sel, desc, limit, stats);
  }

  record(id: number): MatchedRecord {
    return this.backend.record(id);
  }

  /** The plan as `--explain` prints it (the local index's plan tree, or ClickHouse's SQL). */
  explain(sel: Selection, stats?: NodeStats): Promise<string> {
    return this.backend.explain(sel, stats);
  }

  /** A note about the answer for stderr (entries with no time when the query tests time). */
  note(sel: Selection): Promise<string | undefined> {
    return this.backend.note(sel);
  }

  /** `pair`'s partners, in bulk. */
  recordIdsByRequestIds(
    requestIds: readonly string[],
  ): Promise<ReadonlyMap<string, readonly number[]>> {
    return this.backend.recordIdsByRequestIds(requestIds);
  }
}

export { NodeStats };
