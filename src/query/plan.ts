// Resolved query expression → plan: which index lookups answer which predicates, and which
// predicates must be tested on the entries themselves. Pure (no I/O): hash() and subqueries are
// resolved to literals before planning (resolve-values.ts).
//
// Index nodes (terms, range, dict) read posting lists of one field; `recheck` marks lookups that
// return candidates only (a value longer than a term holds), which execution then tests on the
// entry. A filter node is a predicate with no index (dotted paths, numeric comparisons); it runs
// on the records its siblings have already narrowed down to.
import { fieldByName, type FieldSpec } from "../audit/field-catalog.js";
import { kindValue } from "../audit/audit-entry.js";
import {
  binaryToBytes,
  hasTextTerms,
  MAX_TEXT_TERM_BYTES,
  TAG_TEXT,
  textTerm,
} from "../audit/index-term.js";
import { cidrRange, ipKey } from "../audit/ip-key.js";
import { instantKey, parseInstant } from "../audit/time-key.js";
import { HMAC_PREFIX } from "../audit/audit-hmac.js";
import { QueryError } from "../errors.js";
import {
  assertNever,
  type CompareOp,
  type Expr,
  type FieldRef,
  type Literal,
  type Value,
} from "./ast.js";
import { cidrTest, compareTest, existsTest, valueTest, type EntryTest } from "./entry-predicate.js";
import { exprTest } from "./expr-test.js";
import { compileSafeRegex, type SafeRegex } from "./safe-regex.js";

/**
 * A predicate with no index: tested on each entry of the records its siblings left (scan
 * workers take `expr`, as closures do not cross threads).
 */
export interface FilterNode {
  readonly kind: "filter";
  readonly test: EntryTest;
  /** The same predicate as data, for scan workers (closures do not cross threads). */
  readonly expr: Expr;
  readonly query: string;
  /** Bytes every matching line must contain (checked before parsing); undefined: none known. */
  readonly needle: Buffer | undefined;
  readonly label: string;
}

/**
 * The same predicate as an index node's, tested on entries: what a segment whose postings cannot
 * answer for the field (indexed before the field existed, or at an older revision of it:
 * store/segment-catalog.ts) runs instead of the lookup.
 */
export type StaleScan = FilterNode;

export type PlanNode =
  | { readonly kind: "all" }
  | {
      readonly kind: "terms";
      readonly field: FieldSpec;
      /** Ascending byte order, no repeats: one merged pass over each segment's dictionary. */
      readonly terms: readonly Buffer[];
      readonly recheck: EntryTest | undefined;
      readonly label: string;
      readonly stale: StaleScan;
    }
  | {
      readonly kind: "range";
      readonly field: FieldSpec;
      readonly lo: Buffer | undefined; // inclusive
      readonly hi: Buffer | undefined; // inclusive
      /** Terms in [lo, hi] to skip all the same (the bound of a `<` or `>`). */
      readonly keep: ((term: Buffer) => boolean) | undefined;
      readonly recheck: EntryTest | undefined;
      readonly label: string;
      readonly stale: StaleScan;
    }
  | {
      readonly kind: "dict";
      readonly field: FieldSpec;
      /** Tested on each distinct term's text: a scan of the field's dictionary, not its records. */
      readonly test: (termText: string, term: Buffer) => boolean;
      readonly recheck: EntryTest | undefined;
      readonly label: string;
      readonly stale: StaleScan;
    }
  | FilterNode
  | { readonly kind: "and"; readonly children: readonly PlanNode[] }
  | { readonly kind: "or"; readonly children: readonly PlanNode[] }
  | { readonly kind: "not"; readonly child: PlanNode; readonly label: string };

/** An expression whose values are all literals (no hash(), no subquery). */
export type ResolvedExpr = Expr;

function fieldSpec(field: FieldRef): FieldSpec | undefined {
  return field.catalog ? fieldByName(field.name) : undefined;
}

function fail(query: string, offset: number, message: string, hint?: string): never {
  throw new QueryError(message, query, offset, hint);
}

/** A value after resolve-values.ts: hash() and subqueries are gone, only literals remain. */
function literalText(v: Value, query: string): Literal {
  if (v.kind !== "literal")
    throw new Error(`internal: unresolved ${v.kind} in ${JSON.stringify(query)}`);
  return v;
}

// Values JSON writes without escapes can be searched for in the raw line before parsing it.
const PLAIN_JSON_TEXT = /^[A-Za-z0-9 _.\/:@,;=+-]+$/;

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** A needle for `=`/`^=` text; none for numbers (JSON may write 30.0 as 30, 7200 as 7.2e3). */
function needleFor(text: string): Buffer | undefined {
  if (NUMBER.test(text)) return undefined;
  return text.length >= 3 && PLAIN_JSON_TEXT.test(text) ? Buffer.from(text, "utf8") : undefined;
}

function describe(field: FieldRef, op: string, text: string): string {
  return `${field.name} ${op} ${JSON.stringify(text)}`;
}

/**
 * An index node's predicate as a scan of entries (the entry-predicate.ts tests, as everywhere an
 * entry is tested), for segments whose postings cannot answer for the field. No needle: a
 * catalog field's value need not be in the line as the literal is written (an address, a
 * derived value such as kv_path).
 */
function staleScan(expr: Expr, query: string, label: string): StaleScan {
  return {
    kind: "filter",
    test: exprTest(expr, query),
    expr,
    query,
    needle: undefined,
    label: `${label} (on entries)`,
  };
}

/** The index plan of `field op literal` on a catalog field. */
function planCompare(
  spec: FieldSpec,
  field: FieldRef,
  op: CompareOp,
  lit: Literal,
  query: string,
): PlanNode {
  const label = describe(field, op, lit.text);
  const regex = op === "~" ? compileSafeRegex(lit.text, query, lit.offset) : undefined;
  const test = compareTest(field, op, lit.text, regex);
  if (op === "!=") {
    return { kind: "not", child: planCompare(spec, field, "=", lit, query), label };
  }
  const stale = staleScan(
    { kind: "compare", field, op, value: lit, offset: lit.offset },
    query,
    label,
  );
  switch (spec.kind) {
    case "ip": {
      if (op === "=") {
        const key = ipKey(lit.text);
        if (!key)
          fail(
            query,
            lit.offset,
            `not an IP address: ${lit.text}`,
            "write an IPv4 or IPv6 address, or use `ip in CIDR`",
          );
        return {
          kind: "terms",
          field: spec,
          terms: [Buffer.from(key)],
          recheck: undefined,
          label,
          stale,
        };
      }
      return dictNode(spec, label, test, op, lit.text, regex, stale);
    }
    case "time": {
      // `^=` and `~` look at the time as written (offsets and all), which the index does not keep.
      if (op === "~" || op === "^=") {
        return {
          kind: "filter",
          test,
          expr: { kind: "compare", field, op, value: lit, offset: lit.offset },
          query,
          needle: undefined,
          label,
        };
      }
      const t = parseInstant(lit.text);
      if (!t)
        fail(query, lit.offset, `not an RFC 3339 time: ${lit.text}`, "e.g. 2026-11-20T09:30:00Z");
      const key = Buffer.from(instantKey(t));
      const lo = op === ">" || op === ">=" || op === "=" ? key : undefined;
      const hi = op === "<" || op === "<=" || op === "=" ? key : undefined;
      const keep =
        op === ">" || op === "<" ? (term: Buffer) => Buffer.compare(term, key) !== 0 : undefined;
      return { kind: "range", field: spec, lo, hi, keep, recheck: undefined, label, stale };
    }
    case "number": {
      const value = kindValue("number", lit.text);
      if (op === "=" && value !== undefined) {
        return {
          kind: "terms",
          field: spec,
          terms: [binaryToBytes(textTerm(value).term)],
          recheck: undefined,
          label,
          stale,
        };
      }
      return dictNode(spec, label, test, op, lit.text, regex, stale);
    }
    case "text":
    case "hmac": {
      if (op === "=") {
        const { term, cut } = textTerm(lit.text);
        return {
          kind: "terms",
          field: spec,
          terms: [binaryToBytes(term)],
          recheck: cut ? test : undefined,
          label,
          stale,
        };
      }
      if (op === "^=") {
        const utf8 = Buffer.from(lit.text, "utf8");
        const hmacLike = lit.text.startsWith(HMAC_PREFIX) || HMAC_PREFIX.startsWith(lit.text);
        if (hmacLike) return dictNode(spec, label, test, op, lit.text, regex, stale);
        const cut = utf8.length > MAX_TEXT_TERM_BYTES;
        const prefix = Buffer.concat([
          Buffer.from(TAG_TEXT, "latin1"),
          utf8.subarray(0, MAX_TEXT_TERM_BYTES),
        ]);
        // Every term that starts with the prefix sorts between it and it + FF FF … FF.
        const hi = Buffer.concat([prefix, Buffer.alloc(MAX_TEXT_TERM_BYTES + 2, 0xff)]);
        return {
          kind: "range",
          field: spec,
          lo: prefix,
          hi,
          keep: undefined,
          recheck: cut ? test : undefined,
          label,
          stale,
        };
      }
      // `~`, and `<`/`>` on text (which compare text): a dictionary scan.
      return dictNode(spec, label, test, op, lit.text, regex, stale);
    }
  }
}

/** A dictionary scan: the predicate tested on each distinct term's text. */
function dictNode(
  spec: FieldSpec,
  label: string,
  test: EntryTest,
  op: CompareOp,
  literal: string,
  regex: SafeRegex | undefined,
  stale: StaleScan,
): PlanNode {
  const termTest = valueTest(spec, op, literal, regex);
  return {
    kind: "dict",
    field: spec,
    test: (text) => termTest(text),
    // A cut term's text is only the start of the value: re-test such matches on the entry.
    recheck: hasTextTerms(spec.kind) ? test : undefined,
    label,
    stale,
  };
}

/**
 * Whether a value of a list (typed, or a subquery's) can be a value of the field: a subquery's
 * `distinct` may yield texts that are not (`ip in (… | distinct request.headers.x-forwarded-for)`
 * with an `unknown` in it); such an item matches nothing instead of failing the query. Typed items
 * were checked by to-ast.ts already.
 */
function canMatch(spec: FieldSpec | undefined, item: Literal): boolean {
  if (spec?.kind === "ip" && item.text.includes("/"))
    return typeof cidrRange(item.text) !== "string";
  return spec === undefined || kindValue(spec.kind, item.text) !== undefined;
}

/**
 * The terms of `field in [items]` when each item is exactly one term (text that is not cut, an
 * address), in ascending byte order without repeats; undefined when any item needs more (a CIDR,
 * a cut value, a time, an address that does not parse: planCompare says why).
 */
function exactTerms(spec: FieldSpec, items: readonly Literal[]): Buffer[] | undefined {
  const binary: string[] = [];
  for (const { text } of items) {
    if (hasTextTerms(spec.kind)) {
      // A number's term is its shortest form (kindValue), like the values indexed.
      const value = spec.kind === "number" ? kindValue(spec.kind, text) : text;
      if (value === undefined) return undefined;
      const { term, cut } = textTerm(value);
      if (cut) return undefined;
      binary.push(term);
    } else if (spec.kind === "ip" && !text.includes("/")) {
      const key = ipKey(text);
      if (!key) return undefined;
      binary.push(Buffer.from(key).toString("latin1"));
    } else {
      return undefined;
    }
  }
  // Binary strings compare in byte order, and much faster than Buffers.
  binary.sort();
  return binary.filter((t, i) => i === 0 || t !== binary[i - 1]).map(binaryToBytes);
}

export function planExpr(expr: ResolvedExpr, query: string): PlanNode {
  switch (expr.kind) {
    case "all":
      return { kind: "all" };
    case "and":
      return { kind: "and", children: expr.terms.map((t) => planExpr(t, query)) };
    case "or":
      return { kind: "or", children: expr.terms.map((t) => planExpr(t, query)) };
    case "not":
      return { kind: "not", child: planExpr(expr.operand, query), label: "not" };
    case "exists": {
      const spec = fieldSpec(expr.field);
      const label = `exists ${expr.field.name}`;
      if (spec) {
        const stale = staleScan(expr, query, label);
        return { kind: "dict", field: spec, test: () => true, recheck: undefined, label, stale };
      }
      return {
        kind: "filter",
        test: existsTest(expr.field),
        expr,
        query,
        needle: undefined,
        label,
      };
    }
    case "compare": {
      const lit = literalText(expr.value, query);
      const spec = fieldSpec(expr.field);
      if (spec) return planCompare(spec, expr.field, expr.op, lit, query);
      const regex = expr.op === "~" ? compileSafeRegex(lit.text, query, lit.offset) : undefined;
      const test = compareTest(expr.field, expr.op, lit.text, regex);
      const needle = expr.op === "=" || expr.op === "^=" ? needleFor(lit.text) : undefined;
      return {
        kind: "filter",
        test,
        expr: { ...expr, value: lit },
        query,
        needle,
        label: describe(expr.field, expr.op, lit.text),
      };
    }
    case "in": {
      const { field, value } = expr;
      const spec = fieldSpec(field);
      if (value.kind === "literal") {
        // A CIDR.
        const range = cidrRange(value.text);
        if (typeof range === "string")
          fail(query, value.offset, range, "e.g. 10.0.0.0/8 or 2001:db8::/32");
        const label = `${field.name} in ${value.text}`;
        if (spec?.kind === "ip") {
          return {
            kind: "range",
            field: spec,
            lo: Buffer.from(range.lo),
            hi: Buffer.from(range.hi),
            keep: undefined,
            recheck: undefined,
            label,
            stale: staleScan(expr, query, label),
          };
        }
        return {
          kind: "filter",
          test: cidrTest(field, range),
          expr,
          query,
          needle: undefined,
          label,
        };
      }
      if (value.kind !== "list") fail(query, expr.offset, "internal: unresolved value");
      const items = value.items.map((i) => literalText(i, query)).filter((i) => canMatch(spec, i));
      if (items.length === 0)
        return { kind: "not", child: { kind: "all" }, label: `${field.name} in []` };
      // Many exact terms of one field (a subquery's thousands of values): one node, one merged
      // pass over each segment's dictionary, and no per-value plan.
      const terms = spec && exactTerms(spec, items);
      if (terms) {
        const label = `${field.name} in [${items.length} values]`;
        const list: Expr = { ...expr, value: { ...value, items } };
        return {
          kind: "terms",
          field: spec!,
          terms,
          recheck: undefined,
          label,
          stale: staleScan(list, query, label),
        };
      }
      const children = items.map((item): PlanNode => {
        if (spec?.kind === "ip" && item.text.includes("/")) {
          return planExpr({ kind: "in", field, value: item, offset: item.offset }, query);
        }
        return planExpr(
          { kind: "compare", field, op: "=", value: item, offset: item.offset },
          query,
        );
      });
      return children.length === 1 ? children[0]! : { kind: "or", children };
    }
    default:
      return assertNever(expr);
  }
}
