// Before planning: replace every hash("…") with the audit HMAC and every subquery
// `(QUERY | distinct FIELD)` with the list of its distinct values. All hash() calls of a query go
// to the resolver in one batch (one round of requests when Vault computes them).
import {
  assertNever,
  type Expr,
  type HashCall,
  type Literal,
  type Query,
  type Value,
} from "./ast.js";

export interface ValueResolvers {
  /** Audit HMACs of plaintexts, same order (locally with a salt, or via Vault). */
  hash(plaintexts: readonly string[]): Promise<string[]>;
  /** The distinct values a subquery's `distinct FIELD` yields. */
  subquery(query: Query): Promise<string[]>;
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

  const resolveValue = async (v: Value): Promise<Value> => {
    switch (v.kind) {
      case "literal":
      case "hash":
        return lit(v);
      case "list":
        return { ...v, items: v.items.map(lit) };
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
        return { ...e, value: lit(e.value) };
      case "in":
        return { ...e, value: await resolveValue(e.value) };
      case "exists":
      case "all":
        return e;
      default:
        return assertNever(e);
    }
  };
  return { ...query, where: await walk(query.where) };
}
