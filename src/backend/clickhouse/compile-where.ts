// A resolved where-clause (literals only: hash() and subqueries already replaced) compiled to a
// ClickHouse WHERE expression over the entry table's columns (clickhouse-schema.ts), with the same
// meaning as the local index (query/entry-predicate.ts is the reference).
//
// `exact` says whether the SQL alone decides. Where the columns cannot say exactly what the local
// index says (a dotted path: 18.16 has no JSON functions that walk an entry like valuesAtPath;
// `^=` and `~` on an address or a time, which look at the text as printed or written; `<` `>` on
// text, which JS orders by UTF-16 code units), the SQL is a superset of the answer: `1`, or the
// field being present; the backend then tests each row's entry with the local predicate
// (expr-test.ts). Supersets compose through `and` and `or`; under `not` a superset would become a
// subset, so a `not` over an inexact operand selects everything and leaves it to that test.
//
// Every value is written through sqlString (sql-string.ts) and nothing else; column names come
// from the schema, never from the query.
import { kindValue } from "../../audit/audit-entry.js";
import { fieldByName, type FieldSpec } from "../../audit/field-catalog.js";
import { cidrRange, ipKey, type KeyRange } from "../../audit/ip-key.js";
import { parseInstant } from "../../audit/time-key.js";
import { QueryError } from "../../errors.js";
import { assertNever, type CompareOp, type Expr, type Literal } from "../../query/ast.js";
import { columnOf, quoteName } from "./clickhouse-schema.js";
import { sqlString } from "./sql-string.js";

export interface CompiledWhere {
  readonly sql: string;
  /** False: `sql` selects a superset; each row's entry must be tested too. */
  readonly exact: boolean;
}

const ALL: CompiledWhere = { sql: "1", exact: false };
const NONE: CompiledWhere = { sql: "0", exact: true };

/** Numbers as entry-predicate.ts orders them on a number field. */
const LOOSE_NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

interface Column {
  readonly spec: FieldSpec;
  readonly name: string;
  readonly multi: boolean;
}

function columnFor(spec: FieldSpec): Column {
  const col = columnOf(spec.name);
  if (!col) throw new Error(`internal: no ClickHouse column for field ${spec.name}`);
  return { spec, name: quoteName(col.name), multi: col.multi };
}

/** True when any value of the column satisfies `pred` (given the SQL of one value). */
function anyValue(col: Column, pred: (value: string) => string): string {
  if (col.multi) return `arrayExists(x -> ${pred("x")}, ${col.name})`;
  return `(${col.name} != '' AND ${pred(col.name)})`;
}

/** The field has a value (an inexact predicate's superset, and `exists`). */
function present(col: Column): string {
  if (col.spec.kind === "time") return `isNotNull(${col.name})`;
  return col.multi ? `notEmpty(${col.name})` : `${col.name} != ''`;
}

/** An address's 16 bytes as a FixedString(16) literal (the ip column's element type). */
function ipBytes(key: Uint8Array): string {
  return `toFixedString(${sqlString(key)}, 16)`;
}

const ORDER_OPS: Partial<Record<CompareOp, string>> = {
  "<": "<",
  "<=": "<=",
  ">": ">",
  ">=": ">=",
};

/** The nanoseconds since 1970 of an RFC 3339 literal (the time column's unit). */
function nanos(text: string): bigint | undefined {
  const t = parseInstant(text);
  return t && BigInt(t.seconds) * 1_000_000_000n + BigInt(t.nanos);
}

function compareOnColumn(col: Column, op: CompareOp, text: string): CompiledWhere {
  if (op === "!=") {
    const eq = compareOnColumn(col, "=", text);
    return eq.exact ? { sql: `NOT ${paren(eq.sql)}`, exact: true } : ALL;
  }
  const inexact = { sql: present(col), exact: false };
  const order = ORDER_OPS[op];
  switch (col.spec.kind) {
    case "text":
    case "hmac": {
      if (op === "=") {
        if (kindValue(col.spec.kind, text) === undefined) return NONE;
        return {
          sql: col.multi
            ? `has(${col.name}, ${sqlString(text)})`
            : `${col.name} = ${sqlString(text)}`,
          exact: true,
        };
      }
      if (op === "^=") {
        if (text === "") return { sql: present(col), exact: true };
        return { sql: anyValue(col, (v) => `startsWith(${v}, ${sqlString(text)})`), exact: true };
      }
      if (op === "~") return { sql: anyValue(col, (v) => matchSql(v, text)), exact: true };
      return inexact; // `<` `>` on text: JS orders UTF-16 code units, ClickHouse bytes
    }
    case "number": {
      if (op === "^=" || op === "~") return inexact;
      if (!LOOSE_NUMBER.test(text) || !Number.isFinite(Number(text))) return NONE;
      const n = `toFloat64(${sqlString(String(Number(text)))})`;
      return { sql: anyValue(col, (v) => `${v} ${order ?? "="} ${n}`), exact: true };
    }
    case "ip": {
      if (op === "^=" || op === "~") return inexact; // the address as printed: tested on entries
      const key = ipKey(text);
      if (!key) return NONE;
      if (op === "=") return { sql: `has(${col.name}, ${ipBytes(key)})`, exact: true };
      return { sql: anyValue(col, (v) => `${v} ${order} ${ipBytes(key)}`), exact: true };
    }
    case "time": {
      if (op === "^=" || op === "~") return ALL; // the time as written, even one that is no time
      const ns = nanos(text);
      if (ns === undefined) return NONE;
      // ifNull: an entry with no time is in no range, and `not` of that must hold for it.
      return { sql: `ifNull(${col.name} ${order ?? "="} ${ns.toString()}, 0)`, exact: true };
    }
  }
}

/** ClickHouse's `match` is RE2 like safe-regex.ts, but `.` matches `\n` unless `(?-s)`. */
function matchSql(value: string, pattern: string): string {
  return `match(${value}, ${sqlString("(?-s)" + pattern)})`;
}

function cidrOnColumn(col: Column, range: KeyRange): string {
  return anyValue(col, (v) => `(${v} >= ${ipBytes(range.lo)} AND ${v} <= ${ipBytes(range.hi)})`);
}

function paren(sql: string): string {
  return /^[A-Za-z0-9_]+$/.test(sql) ? sql : `(${sql})`;
}

function joined(parts: readonly CompiledWhere[], op: "AND" | "OR"): CompiledWhere {
  return {
    sql: parts.map((p) => paren(p.sql)).join(` ${op} `),
    exact: parts.every((p) => p.exact),
  };
}

/** Whether a list item can be a value of the field (plan.ts's rule: others match nothing). */
function canMatch(spec: FieldSpec | undefined, item: Literal): boolean {
  if (spec?.kind === "ip" && item.text.includes("/"))
    return typeof cidrRange(item.text) !== "string";
  return spec === undefined || kindValue(spec.kind, item.text) !== undefined;
}

function literalOf(v: { kind: string }, query: string): Literal {
  if (v.kind !== "literal") throw new Error(`internal: unresolved ${v.kind} in ${query}`);
  return v as Literal;
}

export function compileWhere(expr: Expr, query: string): CompiledWhere {
  switch (expr.kind) {
    case "all":
      return { sql: "1", exact: true };
    case "and":
      return joined(
        expr.terms.map((t) => compileWhere(t, query)),
        "AND",
      );
    case "or":
      return joined(
        expr.terms.map((t) => compileWhere(t, query)),
        "OR",
      );
    case "not": {
      const inner = compileWhere(expr.operand, query);
      return inner.exact ? { sql: `NOT ${paren(inner.sql)}`, exact: true } : ALL;
    }
    case "exists": {
      const spec = expr.field.catalog ? fieldByName(expr.field.name) : undefined;
      return spec ? { sql: present(columnFor(spec)), exact: true } : ALL;
    }
    case "compare": {
      const spec = expr.field.catalog ? fieldByName(expr.field.name) : undefined;
      if (!spec) return ALL;
      return compareOnColumn(columnFor(spec), expr.op, literalOf(expr.value, query).text);
    }
    case "in": {
      const spec = expr.field.catalog ? fieldByName(expr.field.name) : undefined;
      const { value } = expr;
      if (value.kind === "literal") {
        const range = cidrRange(value.text);
        if (typeof range === "string") throw new QueryError(range, query, value.offset);
        return spec?.kind === "ip"
          ? { sql: cidrOnColumn(columnFor(spec), range), exact: true }
          : ALL;
      }
      if (value.kind !== "list") throw new Error(`internal: unresolved ${value.kind} in ${query}`);
      const items = value.items.map((i) => literalOf(i, query)).filter((i) => canMatch(spec, i));
      if (items.length === 0) return NONE;
      if (!spec) return ALL;
      const col = columnFor(spec);
      if (spec.kind === "text" || spec.kind === "hmac") {
        // One set test however many values (a subquery's thousands).
        const set = [...new Set(items.map((i) => i.text))].map(sqlString).join(", ");
        return {
          sql: col.multi ? `hasAny(${col.name}, [${set}])` : `${col.name} IN (${set})`,
          exact: true,
        };
      }
      return joined(
        items.map((item) =>
          spec.kind === "ip" && item.text.includes("/")
            ? { sql: cidrOnColumn(col, cidrRange(item.text) as KeyRange), exact: true }
            : compareOnColumn(col, "=", item.text),
        ),
        "OR",
      );
    }
    default:
      return assertNever(expr);
  }
}
