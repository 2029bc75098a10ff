// Before planning: replace every hash("…") with the audit HMAC, every subquery
// `(QUERY | distinct FIELD)` with the list of its distinct values, and every relative time
// (`now-1h`) compared with a time with the RFC 3339 time it means now (relative-time.ts). All hash() calls of a query go
// to the resolver in one batch (one round of requests when Vault computes them).
import { fieldByName } from "../audit/field-catalog.js";
import {
  assertNever,
  type CompareOp,
  type Expr,
  type FieldRef,
  type HashCall,
  type Literal,
  type Query,
  type Value,
} from "./ast.js";
import { resolveRelativeTime } from "./relative-time.js";

export interface ValueResolvers {
  /** Audit HMACs of plaintexts, same order (locally with a salt, or via Vault). */
  hash(plaintexts: readonly string[]): Promise<string[]>;
  /** The distinct values a subquery's `distinct FIELD` yields. */
  subquery(query: Query): Promise<string[]>;
  /** The moment relative times count back from, in ms since 1970 (default: Date.now()). */
  now?: () => number;
}

/** Whether a relative time is a time here: compared with a time field, or ordered on a path. */
function takesTime(field: FieldRef, op: CompareOp | "in"): boolean {
  if (field.catalog) return fieldByName(field.name)?.kind === "time";
  return op === "<" || op === "<=" || op === ">" || op === ">=";
}

function collectHashes(expr: Expr, out: HashCall[]): void {
  switch (expr.kind) {
    case "and":
    case "or":
      expr.terms.forEach((t) => collectHashes(t, out));
      return;
    case "not":
      collectHashes(expr.operand, out);
      return;
    case "compare":
      if (expr.value.kind === "hash") out.push(expr.value);
      return;
    case "in":
      if (expr.value.kind === "hash") out.push(expr.value);
      if (expr.value.kind === "list")
        for (const i of expr.value.items) if (i.kind === "hash") out.push(i);
      return;
    case "exists":
    case "all":
      return;
    default:
      assertNever(expr);
  }
}

export async function resolveValues(query: Query, resolvers: ValueResolvers): Promise<Query> {
  const calls: HashCall[] = [];
  collectHashes(query.where, calls);
  const hashes = new Map<HashCall, string>();
  if (calls.length > 0) {
    const out = await resolvers.hash(calls.map((c) => c.plaintext));
    calls.forEach((c, i) => hashes.set(c, out[i]!));
  }
  const lit = (v: Literal | HashCall): Literal =>
    v.kind === "literal"
      ? v
      : { kind: "literal", text: hashes.get(v)!, form: "string", offset: v.offset };
  const nowMs = (resolvers.now ?? Date.now)();
  const timed = (v: Literal, field: FieldRef, op: CompareOp | "in"): Literal =>
    v.form === "relativeTime" && takesTime(field, op)
      ? { ...v, text: resolveRelativeTime(v.text, nowMs), form: "time" }
      : v;

  const resolveValue = async (v: Value, field: FieldRef): Promise<Value> => {
    switch (v.kind) {
      case "literal":
      case "hash":
        return lit(v);
      case "list":
        return { ...v, items: v.items.map((i) => timed(lit(i), field, "in")) };
      case "subquery": {
        const values = await resolvers.subquery(v.query);
        return {
          kind: "list",
          offset: v.offset,
          items: values.map((text) => ({
            kind: "literal",
            text,
            form: "string",
            offset: v.offset,
          })),
        };
      }
      default:
        return assertNever(v);
    }
  };

  const walk = async (e: Expr): Promise<Expr> => {
    switch (e.kind) {
      case "and":
      case "or":
        return { ...e, terms: await Promise.all(e.terms.map(walk)) };
      case "not":
        return { ...e, operand: await walk(e.operand) };
      case "compare":
        return { ...e, value: timed(lit(e.value), e.field, e.op) };
      case "in":
        return { ...e, value: await resolveValue(e.value, e.field) };
      case "exists":
      case "all":
        return e;
      default:
        return assertNever(e);
    }
  };
  return { ...query, where: await walk(query.where) };
}
