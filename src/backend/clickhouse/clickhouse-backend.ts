// The query backend over ClickHouse (docs/clickhouse.md: one row per entry, the catalog's fields
// as columns, the original line, `ord` the local index's order). The where-clause is compiled to
// SQL (compile-where.ts); when the SQL is exact, `count`, `count by`, `top`, `distinct`, `leases`
// and `timeline` run as aggregations in ClickHouse, and the records stream back `ORDER BY ord`
// (so `ndjson` is the original lines in the local index's order). When it is not exact (dotted
// paths and the few operators the columns cannot decide), the SQL selects a superset, each row's
// entry is tested here with the local predicate, and the stages run here on the records, exactly
// as on the local index. `sort time [| limit N]` is an ORDER BY there (exact where-clauses);
// other sorts and `pair` run here on the records (pair's partners are fetched in bulk by request
// id).
//
// A record's id is its `ord`. Records are kept by id for the life of the backend: `sort` and
// `pair` read records back by id through StageContext.record, which is synchronous.
import { fieldByName, type FieldSpec } from "../../audit/field-catalog.js";
import { recordEntry } from "../../audit/framing/record-json.js";
import { ipKeyText } from "../../audit/ip-key.js";
import type { AuditEntry } from "../../audit/audit-entry.js";
import { assertNever, type Expr, type FieldRef } from "../../query/ast.js";
import type { DistinctFirst } from "../../query/dictionary-groups.js";
import type { NodeStats } from "../../query/execute.js";
import { noTimeMessage } from "../../query/explain.js";
import { exprTest } from "../../query/expr-test.js";
import type { MatchedRecord } from "../../query/matched-record.js";
import type { QueryBackend, Selection } from "../../query/query-backend.js";
import { runStages } from "../../query/run-stages.js";
import type { StageOutput } from "../../query/stage-output.js";
import { countGroups, sortGroups, type Group } from "../../query/stages/count-by-stage.js";
import { LEASE } from "../../query/stages/leases-stage.js";
import { recordTimeMs, type TimelinePoint } from "../../query/stages/timeline-stage.js";
import { recordFieldValues } from "../../query/field-values.js";
import { columnOf, ENTRIES_TABLE, quoteName, tableName } from "./clickhouse-schema.js";
import { ClickhouseQueryStream, type ClickhouseEndpoint } from "./clickhouse-query-stream.js";
import { compileWhere, type CompiledWhere } from "./compile-where.js";
import { rowBinaryRows, type RowType, type RowValue } from "./row-binary-rows.js";
import { sqlString } from "./sql-string.js";

/** Request ids asked for in one partner lookup (each is a literal in the SQL text). */
const REQUEST_IDS_PER_QUERY = 10_000;
/** First records of `leases` whose lines are fetched by one query. */
const LINES_PER_QUERY = 1_000;

class LineRecord implements MatchedRecord {
  private parsed: AuditEntry | undefined;
  constructor(
    readonly id: number,
    readonly line: Buffer,
  ) {}
  entry(): AuditEntry {
    return (this.parsed ??= recordEntry<AuditEntry>(this.line));
  }
}

function catalogSpec(field: FieldRef): FieldSpec | undefined {
  return field.catalog ? fieldByName(field.name) : undefined;
}

/** Whether the expression tests the time field (for the note about entries with no time). */
function testsTime(expr: Expr): boolean {
  switch (expr.kind) {
    case "all":
      return false;
    case "and":
    case "or":
      return expr.terms.some(testsTime);
    case "not":
      return testsTime(expr.operand);
    case "compare":
    case "in":
    case "exists":
      return catalogSpec(expr.field)?.kind === "time";
    default:
      return assertNever(expr);
  }
}

export class ClickhouseBackend implements QueryBackend {
  private readonly http: ClickhouseQueryStream;
  private readonly table: string;
  private readonly lines = new Map<number, LineRecord>();
  private readonly compiled = new WeakMap<Selection, CompiledWhere>();
  /** The SQL each selection ran, for `--explain`. */
  private readonly sent = new WeakMap<Selection, string[]>();

  constructor(endpoint: ClickhouseEndpoint) {
    this.http = new ClickhouseQueryStream(endpoint);
    this.table = tableName(
      { database: endpoint.database, cluster: endpoint.cluster },
      ENTRIES_TABLE,
    );
  }

  private where(sel: Selection): CompiledWhere {
    let c = this.compiled.get(sel);
    if (!c) {
      c = compileWhere(sel.query.where, sel.query.text);
      this.compiled.set(sel, c);
    }
    return c;
  }

  private rows(sel: Selection | undefined, sql: string, types: readonly RowType[]) {
    const full = `${sql} FORMAT RowBinary`;
    if (sel) {
      const list = this.sent.get(sel) ?? [];
      list.push(sql);
      this.sent.set(sel, list);
    }
    return rowBinaryRows(this.http.stream(full), types);
  }

  private keep(id: number, line: Buffer): LineRecord {
    let r = this.lines.get(id);
    if (!r) {
      r = new LineRecord(id, line);
      this.lines.set(id, r);
    }
    return r;
  }

  async *records(sel: Selection, _stats?: NodeStats): AsyncGenerator<MatchedRecord> {
    const where = this.where(sel);
    const test = where.exact ? undefined : exprTest(sel.query.where, sel.query.text);
    const sql = `SELECT ord, line FROM ${this.table} WHERE ${where.sql} ORDER BY ord`;
    for await (const [ord, line] of this.rows(sel, sql, ["UInt64", "String"])) {
      const record = this.keep(ord as number, line as Buffer);
      if (!test || test(record.entry())) yield record;
    }
  }

  async count(sel: Selection, stats?: NodeStats): Promise<number> {
    const where = this.where(sel);
    if (!where.exact) {
      let n = 0;
      for await (const _ of this.records(sel, stats)) n++;
      return n;
    }
    const sql = `SELECT count() FROM ${this.table} WHERE ${where.sql}`;
    for await (const [n] of this.rows(sel, sql, ["UInt64"])) return n as number;
    return 0;
  }

  groupable(sel: Selection, field: FieldRef): boolean {
    const spec = catalogSpec(field);
    return this.where(sel).exact && spec !== undefined && spec.kind !== "time";
  }

  /** The SQL of a field's value as the stages print it, and the RowBinary type it comes back as. */
  private valueColumn(spec: FieldSpec): { type: RowType; text: (v: RowValue) => string } {
    switch (spec.kind) {
      case "ip":
        return { type: "FixedString(16)", text: (v) => ipKeyText(v as Buffer) };
      case "number":
        return { type: "Float64", text: (v) => String(v as number) };
      case "text":
      case "hmac":
        return { type: "String", text: (v) => (v as Buffer).toString("utf8") };
      case "time":
        throw new Error("internal: time is not grouped in ClickHouse");
    }
  }

  /**
   * `SELECT v, … FROM (matches) ARRAY JOIN` over a field's values: `v` each value of a record,
   * `i` its place in the record (1-based), `ord` the record's. `extra` columns come first.
   */
  private valuesSql(sel: Selection, spec: FieldSpec, select: string, tail: string): string {
    const col = columnOf(spec.name)!;
    const name = quoteName(col.name);
    const where = this.where(sel).sql;
    if (!col.multi) {
      return (
        `SELECT ${select} FROM (SELECT ord, ${name} AS v, 1 AS i FROM ${this.table} ` +
        `WHERE (${where}) AND ${name} != '') ${tail}`
      );
    }
    return (
      `SELECT ${select} FROM (SELECT ord, ${name} AS vs FROM ${this.table} WHERE ${where}) ` +
      `ARRAY JOIN vs AS v, arrayEnumerate(vs) AS i ${tail}`
    );
  }

  async countGroups(sel: Selection, field: FieldRef, stats?: NodeStats): Promise<Group[]> {
    const spec = catalogSpec(field);
    if (!spec || !this.groupable(sel, field)) {
      return countGroups(runStages(this.records(sel, stats), [], this), field);
    }
    const { type, text } = this.valueColumn(spec);
    // Each distinct value of a record once, as count-by-stage counts.
    const sql = this.valuesSql(sel, spec, "v, uniqExact(ord)", "GROUP BY v");
    const groups: Group[] = [];
    for await (const [v, n] of this.rows(sel, sql, [type, "UInt64"])) {
      const t = text(v!);
      groups.push({ value: t, text: t, count: n as number });
    }
    return sortGroups(groups);
  }

  async *distinctFirsts(
    sel: Selection,
    field: FieldRef,
    stats?: NodeStats,
  ): AsyncGenerator<DistinctFirst> {
    const spec = catalogSpec(field);
    if (!spec || !this.where(sel).exact) {
      const seen = new Set<string>();
      for await (const record of this.records(sel, stats)) {
        for (const v of recordFieldValues(record, field)) {
          if (typeof v !== "string" || seen.has(v)) continue;
          seen.add(v);
          yield { text: v, record: () => record };
        }
      }
      return;
    }
    const { type, text } = this.valueColumn(spec);
    // In order of first appearance: the first record, then the value's place in it. `leases`
    // needs that record (its namespace); `distinct` only the values. The lines are fetched
    // afterwards by `ord`, a batch at a time: asking for them in the grouping query (argMin) made
    // ClickHouse read the line column of every granule holding a match (12 s for a busy address
    // on 1 GiB), where the first records alone sit in a few granules.
    const withLine = spec.name === LEASE.name;
    const sql = this.valuesSql(
      sel,
      spec,
      "v, min(ord * 65536 + i) AS first",
      "GROUP BY v ORDER BY first",
    );
    const seen = new Set<string>();
    let batch: { text: string; id: number }[] = [];
    const flush = async function* (this: ClickhouseBackend): AsyncGenerator<DistinctFirst> {
      if (withLine)
        await this.fetchLines(
          sel,
          batch.map((b) => b.id),
        );
      for (const { text: t, id } of batch) yield { text: t, record: () => this.record(id) };
      batch = [];
    };
    for await (const [v, first] of this.rows(sel, sql, [type, "UInt64"])) {
      const t = text(v!);
      // Two values that print alike (an address with and without its port) are one value.
      if (seen.has(t)) continue;
      seen.add(t);
      batch.push({ text: t, id: Math.floor((first as number) / 65536) });
      if (batch.length >= LINES_PER_QUERY) yield* flush.call(this);
    }
    yield* flush.call(this);
  }

  /** Reads the lines of records `ids` (not yet kept) into `lines`, one query a batch. */
  private async fetchLines(sel: Selection, ids: readonly number[]): Promise<void> {
    const missing = ids.filter((id) => !this.lines.has(id));
    if (missing.length === 0) return;
    const list = missing.map((id) => String(Math.floor(id))).join(", ");
    const sql = `SELECT ord, line FROM ${this.table} PREWHERE ord IN (${list})`;
    for await (const [ord, line] of this.rows(sel, sql, ["UInt64", "String"])) {
      this.keep(ord as number, line as Buffer);
    }
  }

  async timelinePoints(sel: Selection, stats?: NodeStats): Promise<TimelinePoint[]> {
    if (!this.where(sel).exact) {
      const points: TimelinePoint[] = [];
      for await (const r of this.records(sel, stats)) {
        const ms = recordTimeMs(r);
        if (ms !== undefined) points.push([ms, 1]);
      }
      return points;
    }
    // Milliseconds rounded down, also before 1970 (intDiv rounds towards zero).
    const ms = "intDiv(t, 1000000) - (t % 1000000 < 0)";
    const sql =
      `SELECT toFloat64(${ms}) AS ms, count() FROM (SELECT assumeNotNull(time) AS t ` +
      `FROM ${this.table} WHERE (${this.where(sel).sql}) AND isNotNull(time)) GROUP BY ms`;
    const points: TimelinePoint[] = [];
    for await (const [at, n] of this.rows(sel, sql, ["Float64", "UInt64"])) {
      points.push([at as number, n as number]);
    }
    return points;
  }

  sortByTime(
    sel: Selection,
    desc: boolean,
    limit: number | undefined,
    stats?: NodeStats,
  ): AsyncIterable<StageOutput> {
    const where = this.where(sel);
    if (where.exact) return this.sortedInClickhouse(sel, where, desc, limit);
    const time = { kind: "field", name: "time", catalog: true, offset: 0 } as const;
    const stages = [
      { kind: "sort", field: time, desc, offset: 0 } as const,
      ...(limit === undefined ? [] : [{ kind: "limit", n: limit, offset: 0 } as const]),
    ];
    return runStages(this.records(sel, stats), stages, this);
  }

  /**
   * `sort time [desc] [| limit N]` as sort-stage.ts orders: by instant, entries with no time last
   * in either direction, equal times in index order.
   */
  private async *sortedInClickhouse(
    sel: Selection,
    where: CompiledWhere,
    desc: boolean,
    limit: number | undefined,
  ): AsyncGenerator<StageOutput> {
    if (limit !== undefined && limit <= 0) return;
    const sql =
      `SELECT ord, line FROM ${this.table} WHERE ${where.sql} ` +
      `ORDER BY isNull(time), time${desc ? " DESC" : ""}, ord` +
      (limit === undefined ? "" : ` LIMIT ${Math.floor(limit)}`);
    for await (const [ord, line] of this.rows(sel, sql, ["UInt64", "String"])) {
      yield { kind: "record", record: this.keep(ord as number, line as Buffer) };
    }
  }

  record(id: number): MatchedRecord {
    const r = this.lines.get(id);
    if (!r) throw new Error(`internal: record ${id} was not read from ClickHouse`);
    return r;
  }

  async recordIdsByRequestIds(requestIds: readonly string[]): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>();
    const unique = [...new Set(requestIds)];
    for (let at = 0; at < unique.length; at += REQUEST_IDS_PER_QUERY) {
      const list = unique
        .slice(at, at + REQUEST_IDS_PER_QUERY)
        .map(sqlString)
        .join(", ");
      const sql =
        `SELECT request_id, ord, line FROM ${this.table} ` +
        `WHERE request_id IN (${list}) ORDER BY ord`;
      for await (const [rid, ord, line] of this.rows(undefined, sql, [
        "String",
        "UInt64",
        "String",
      ])) {
        const key = (rid as Buffer).toString("utf8");
        this.keep(ord as number, line as Buffer);
        const ids = out.get(key) ?? [];
        ids.push(ord as number);
        out.set(key, ids);
      }
    }
    return out;
  }

  async explain(sel: Selection, _stats?: NodeStats): Promise<string> {
    const where = this.where(sel);
    const lines = [`ClickHouse ${this.table}`];
    const sent = this.sent.get(sel) ?? [];
    if (sent.length === 0) lines.push(`WHERE ${where.sql}`);
    for (const sql of sent) lines.push(sql);
    if (!where.exact) {
      lines.push("rows re-checked here on their entries (the SQL selects a superset)");
    }
    const note = await this.note(sel);
    if (note) lines.push(note);
    return lines.join("\n");
  }

  async note(sel: Selection): Promise<string | undefined> {
    if (!testsTime(sel.query.where)) return undefined;
    const sql = `SELECT count() FROM ${this.table} WHERE isNull(time)`;
    for await (const [n] of this.rows(undefined, sql, ["UInt64"]))
      return noTimeMessage(n as number);
    return undefined;
  }

  async close(): Promise<void> {
    this.http.close();
  }
}
