// The query as plain readonly data: what the parser (to-ast.ts) builds and what the planner reads.
// One node kind per `kind` tag; visitors switch exhaustively (see assertNever) so that a new kind
// breaks the build until every visitor handles it. Offsets are 0-based positions in the query
// text, for error carets.

export type CompareOp = "=" | "!=" | "^=" | "~" | "<" | "<=" | ">" | ">=";

/** A field as typed: a catalog name (`ip`, `path`, …) or a dotted path (`response.data.username`). */
export interface FieldRef {
  readonly kind: "field";
  readonly name: string;
  /** True when `name` is in audit/field-catalog.ts; false for a dotted path into the entry. */
  readonly catalog: boolean;
  readonly offset: number;
}

/** How a literal was written; the planner interprets it for the field it is compared with.
 * "relativeTime" (`now`, `now-1h`) is made a "time" when the query runs (resolve-values.ts). */
export type LiteralForm = "word" | "string" | "number" | "ip" | "cidr" | "time" | "relativeTime";

export interface Literal {
  readonly kind: "literal";
  readonly text: string; // unquoted and unescaped
  readonly form: LiteralForm;
  readonly offset: number;
}

/** `hash("plaintext")`: replaced by the audit HMAC before planning (resolve-hashes). */
export interface HashCall {
  readonly kind: "hash";
  readonly plaintext: string;
  readonly offset: number;
}

export interface ListValue {
  readonly kind: "list";
  readonly items: readonly (Literal | HashCall)[];
  readonly offset: number;
}

/** `(QUERY | distinct FIELD)`: its distinct values become a list. */
export interface Subquery {
  readonly kind: "subquery";
  readonly query: Query;
  readonly offset: number;
}

export type Value = Literal | HashCall | ListValue | Subquery;

export interface Compare {
  readonly kind: "compare";
  readonly field: FieldRef;
  readonly op: CompareOp;
  readonly value: Literal | HashCall;
  readonly offset: number;
}

/** `FIELD in CIDR`, `FIELD in [a, b]`, `FIELD in (QUERY | distinct F)`. */
export interface In {
  readonly kind: "in";
  readonly field: FieldRef;
  readonly value: Value;
  readonly offset: number;
}

export interface Exists {
  readonly kind: "exists";
  readonly field: FieldRef;
  readonly offset: number;
}

export interface And {
  readonly kind: "and";
  readonly terms: readonly Expr[]; // two or more
}

export interface Or {
  readonly kind: "or";
  readonly terms: readonly Expr[]; // two or more
}

export interface Not {
  readonly kind: "not";
  readonly operand: Expr;
  readonly offset: number;
}

/** Every entry (`*`, or a query that starts with `|`). */
export interface All {
  readonly kind: "all";
}

export type Expr = Compare | In | Exists | And | Or | Not | All;

export type Stage =
  | { readonly kind: "leases"; readonly offset: number }
  | { readonly kind: "distinct"; readonly field: FieldRef; readonly offset: number }
  | { readonly kind: "count"; readonly offset: number }
  | { readonly kind: "countBy"; readonly field: FieldRef; readonly offset: number }
  | { readonly kind: "top"; readonly n: number; readonly field: FieldRef; readonly offset: number }
  | { readonly kind: "fields"; readonly fields: readonly FieldRef[]; readonly offset: number }
  | {
      readonly kind: "sort";
      readonly field: FieldRef;
      readonly desc: boolean;
      readonly offset: number;
    }
  | { readonly kind: "limit"; readonly n: number; readonly offset: number }
  /** `timeline [INTERVAL]`: intervalMs undefined means "pick one that fits the span". */
  | { readonly kind: "timeline"; readonly intervalMs: number | undefined; readonly offset: number }
  | { readonly kind: "pair"; readonly offset: number };

export interface Query {
  readonly kind: "query";
  readonly where: Expr;
  readonly stages: readonly Stage[];
  /** The text this query was parsed from (subqueries: their own slice of it). */
  readonly text: string;
}

export function assertNever(x: never): never {
  throw new Error(`unhandled node kind: ${JSON.stringify(x)}`);
}
