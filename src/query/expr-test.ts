// A resolved query expression as a test on one entry (no index): for alert rules evaluated on
// each new entry, and for anything that holds entries in memory. Same semantics as the planner's
// index lookups (entry-predicate.ts is the reference both use).
import { cidrRange } from "../audit/ip-key.js";
import { fieldByName } from "../audit/field-catalog.js";
import { QueryError } from "../errors.js";
import { assertNever, type Expr, type Literal } from "./ast.js";
import { cidrTest, compareTest, existsTest, type EntryTest } from "./entry-predicate.js";
import { compileSafeRegex } from "./safe-regex.js";

function literal(v: { kind: string }, query: string): Literal {
  if (v.kind !== "literal")
    throw new QueryError("hash() and subqueries must be resolved first", query, 0);
  return v as Literal;
}

export function exprTest(expr: Expr, query: string): EntryTest {
  switch (expr.kind) {
    case "all":
      return () => true;
    case "and": {
      const tests = expr.terms.map((t) => exprTest(t, query));
      return (e) => tests.every((t) => t(e));
    }
    case "or": {
      const tests = expr.terms.map((t) => exprTest(t, query));
      return (e) => tests.some((t) => t(e));
    }
    case "not": {
      const inner = exprTest(expr.operand, query);
      return (e) => !inner(e);
    }
    case "exists":
      return existsTest(expr.field);
    case "compare": {
      const lit = literal(expr.value, query);
      const regex = expr.op === "~" ? compileSafeRegex(lit.text, query, lit.offset) : undefined;
      return compareTest(expr.field, expr.op, lit.text, regex);
    }
    case "in": {
      const { field, value } = expr;
      if (value.kind === "literal") {
        const range = cidrRange(value.text);
        if (typeof range === "string") throw new QueryError(range, query, value.offset);
        return cidrTest(field, range);
      }
      if (value.kind !== "list")
        throw new QueryError("subqueries must be resolved first", query, expr.offset);
      const isIp = field.catalog && fieldByName(field.name)?.kind === "ip";
      const tests = value.items.map((item) => {
        const lit = literal(item, query);
        if (isIp && lit.text.includes("/")) {
          const range = cidrRange(lit.text);
          if (typeof range === "string") throw new QueryError(range, query, lit.offset);
          return cidrTest(field, range);
        }
        return compareTest(field, "=", lit.text);
      });
      return (e) => tests.some((t) => t(e));
    }
    default:
      return assertNever(expr);
  }
}
