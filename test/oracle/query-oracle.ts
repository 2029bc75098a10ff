// The test oracle for queries: what a query must answer over some audit entries, computed the
// dumbest way that is obviously right and independently of src/ (it never imports src/query,
// src/audit or src/store, so a shared bug cannot make both sides agree). A query is given as the
// oracle's own small syntax tree (OQuery), built by the test; `queryText` prints it in the query
// language for the engine, so the text and the oracle's meaning are made together and no parser
// stands between them. Every predicate is evaluated on every entry: fine for test-sized logs.
//
// Semantics (SPEC.md, "The query language", and the lead's notes on it):
// - a field has zero or more values in an entry (catalog fields by SPEC's table, dotted paths as
//   written, a trailing array fanning out to its items; empty strings are no catalog value);
// - a predicate holds when ANY value satisfies it; `!=` is `not =` (entries without the field
//   match it);
// - `=` compares addresses on `ip`, instants on `time`, and on dotted paths text, or numbers when
//   both sides are numbers; `^=` and `~` test the text (on `ip`, the bare address as stages show
//   it); `< <= > >=` compare instants on `time`, and on dotted paths numbers when both are
//   numbers, else instants when both are times (anything else is not ordered: no match);
// - `ip in CIDR` (IPv4 and IPv6; IPv4-mapped IPv6 is the IPv4 address), `in [a, b]` (any equal),
//   `in (QUERY | … | distinct G)` (equal to any value the subquery's whole pipeline ends with);
// - stages: leases, distinct, count, count by, top, fields, limit, sort (distinct and sort also
//   on rows and values, by their column).
import { createHmac } from "node:crypto";
import net from "node:net";
import {
  ADDRESS_FIELDS,
  NUMBER_FIELDS,
  ORACLE_CATALOG,
  oracleTexts,
  rfc3339Nanos,
  withOracleOrigin,
  type LogScan,
} from "./scan-log.js";

// ---------------------------------------------------------------------------------------------
// The oracle's syntax tree.

/** A catalog field (`ip`, `path`, …) or a dotted path (`response.data.username`). */
export type OField = string;

/** A value as written: plain text (bare when it can be, else quoted) or `hash("plaintext")`. */
export type OLiteral =
  { readonly text: string; readonly quoted?: boolean } | { readonly hash: string };

export type OCompareOp = "=" | "!=" | "^=" | "~" | "<" | "<=" | ">" | ">=";

export type OExpr =
  | { readonly kind: "all" }
  | {
      readonly kind: "compare";
      readonly field: OField;
      readonly op: OCompareOp;
      readonly value: OLiteral;
    }
  | { readonly kind: "cidr"; readonly field: OField; readonly cidr: string }
  | { readonly kind: "list"; readonly field: OField; readonly items: readonly OLiteral[] }
  | {
      readonly kind: "subquery";
      readonly field: OField;
      readonly where: OExpr;
      /** Stages before the final `distinct` (none: `(WHERE | distinct G)`). */
      readonly stages?: readonly OStage[];
      readonly distinct: OField;
    }
  | { readonly kind: "exists"; readonly field: OField }
  | { readonly kind: "and"; readonly terms: readonly OExpr[]; readonly parens?: boolean }
  | { readonly kind: "or"; readonly terms: readonly OExpr[]; readonly parens?: boolean }
  | { readonly kind: "not"; readonly operand: OExpr };

export type OStage =
  | { readonly kind: "leases" }
  | { readonly kind: "distinct"; readonly field: OField }
  | { readonly kind: "count" }
  | { readonly kind: "countBy"; readonly field: OField }
  | { readonly kind: "top"; readonly n: number; readonly field: OField }
  | { readonly kind: "fields"; readonly fields: readonly OField[] }
  | { readonly kind: "limit"; readonly n: number }
  | { readonly kind: "sort"; readonly field: OField; readonly desc: boolean };

export interface OQuery {
  readonly where: OExpr;
  readonly stages: readonly OStage[];
}

// Small constructors, so tests read like the queries they stand for.
export const lit = (text: string): OLiteral => ({ text });
export const quoted = (text: string): OLiteral => ({ text, quoted: true });
export const hashOf = (plaintext: string): OLiteral => ({ hash: plaintext });
export const cmp = (field: OField, op: OCompareOp, value: OLiteral | string): OExpr => ({
  kind: "compare",
  field,
  op,
  value: typeof value === "string" ? lit(value) : value,
});
export const and = (...terms: OExpr[]): OExpr => ({ kind: "and", terms });
export const or = (...terms: OExpr[]): OExpr => ({ kind: "or", terms });
export const not = (operand: OExpr): OExpr => ({ kind: "not", operand });
export const exists = (field: OField): OExpr => ({ kind: "exists", field });
export const inCidr = (field: OField, cidr: string): OExpr => ({ kind: "cidr", field, cidr });
export const inList = (field: OField, items: readonly (OLiteral | string)[]): OExpr => ({
  kind: "list",
  field,
  items: items.map((i) => (typeof i === "string" ? lit(i) : i)),
});
export const inSubquery = (
  field: OField,
  where: OExpr,
  distinct: OField,
  stages: readonly OStage[] = [],
): OExpr => ({ kind: "subquery", field, where, stages, distinct });

// ---------------------------------------------------------------------------------------------
// Printing: the oracle's tree as query text.

const BARE_WORD = /^[A-Za-z0-9_\-./:@+]+$/;
const RESERVED = new Set(["and", "or", "not", "in", "exists"]);

function literalText(v: OLiteral): string {
  if ("hash" in v) return `hash(${JSON.stringify(v.hash)})`;
  const bare = BARE_WORD.test(v.text) && !RESERVED.has(v.text.toLowerCase());
  return bare && !v.quoted ? v.text : JSON.stringify(v.text);
}

function exprText(e: OExpr): string {
  switch (e.kind) {
    case "all":
      return "*";
    case "compare":
      return `${e.field} ${e.op} ${literalText(e.value)}`;
    case "cidr":
      return `${e.field} in ${e.cidr}`;
    case "list":
      return `${e.field} in [${e.items.map(literalText).join(", ")}]`;
    case "subquery":
      return `${e.field} in (${[exprText(e.where), ...(e.stages ?? []).map(stageText)].join(" | ")} | distinct ${e.distinct})`;
    case "exists":
      return `exists ${e.field}`;
    case "and": {
      // `or` binds looser than `and`: an `or` inside an `and` needs its parentheses.
      const t = e.terms.map((x) =>
        x.kind === "or" && !x.parens ? `(${exprText(x)})` : exprText(x),
      );
      return e.parens ? `(${t.join(" and ")})` : t.join(" and ");
    }
    case "or": {
      const t = e.terms.map(exprText).join(" or ");
      return e.parens ? `(${t})` : t;
    }
    case "not": {
      const o = e.operand;
      const compound = (o.kind === "and" || o.kind === "or") && !o.parens;
      return `not ${compound ? `(${exprText(o)})` : exprText(o)}`;
    }
  }
}

function stageText(s: OStage): string {
  switch (s.kind) {
    case "leases":
    case "count":
      return s.kind;
    case "distinct":
      return `distinct ${s.field}`;
    case "countBy":
      return `count by ${s.field}`;
    case "top":
      return `top ${s.n} ${s.field}`;
    case "fields":
      return `fields ${s.fields.join(", ")}`;
    case "limit":
      return `limit ${s.n}`;
    case "sort":
      return `sort ${s.field}${s.desc ? " desc" : ""}`;
  }
}

/** The query in the query language (what a user would type). */
export function queryText(q: OQuery): string {
  return [exprText(q.where), ...q.stages.map(stageText)].join(" | ");
}

// ---------------------------------------------------------------------------------------------
// Entries and the values of a field in them.

type Json = unknown;

/** One audit entry: its record id, its original line and the parsed object. */
export interface OEntry {
  readonly id: number;
  readonly line: string;
  readonly entry: Json;
}

/** The entries of a log scan, with record ids in scan order (= file order, line order). */
export function oracleEntries(scan: LogScan): OEntry[] {
  return scan.records.map((r, id) => ({
    id,
    line: r.text,
    entry: withOracleOrigin(JSON.parse(r.text) as Json, r.file, r.device),
  }));
}

const HMAC_PREFIX = "hmac-sha256:";
const CATALOG = new Set(ORACLE_CATALOG);

export function isCatalogField(field: OField): boolean {
  return CATALOG.has(field);
}

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function at(entry: Json, path: readonly string[]): Json {
  let node = entry;
  for (const key of path) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** The value at a dotted path; a trailing array gives its items; null is no value. */
export function dottedValues(entry: Json, path: string): Json[] {
  const v = at(entry, path.split("."));
  const items = Array.isArray(v) ? v : [v];
  return items.filter((x) => x !== undefined && x !== null);
}

function scalarText(v: Json): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

/** A field's values in an entry as text, in entry order (ip and xff: as written, port and all). */
export function valueTexts(entry: Json, field: OField): string[] {
  if (isCatalogField(field)) return oracleTexts(entry, field);
  return dottedValues(entry, field).flatMap((v) => {
    const t = scalarText(v);
    return t === undefined ? [] : [t];
  });
}

/** A field's values as stages show them: addresses bare, dotted paths as JSON values. */
export function displayValues(entry: Json, field: OField): Json[] {
  if (ADDRESS_FIELDS.has(field)) return valueTexts(entry, field).map((t) => addressText(t) ?? t);
  if (isCatalogField(field)) return valueTexts(entry, field);
  return dottedValues(entry, field);
}

/** The values, each once (the first of equal ones kept): what `fields` prints. */
function distinctInOrder(values: readonly Json[]): Json[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = JSON.stringify(v);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Addresses: 128-bit numbers, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d).

const V4_MAPPED = 0xffffn << 32n;

function v4Number(text: string): bigint {
  return text.split(".").reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
}

function v6Number(text: string): bigint {
  let t = text.toLowerCase();
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (v4Tail) {
    const n = v4Number(v4Tail[1]!);
    t = t.slice(0, -v4Tail[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = t.includes("::") ? t.split("::") : [t, undefined];
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const zeros =
    tail === undefined ? [] : Array(8 - headGroups.length - tailGroups.length).fill("0");
  return [...headGroups, ...zeros, ...tailGroups].reduce(
    (n, g) => (n << 16n) | BigInt(parseInt(g, 16)),
    0n,
  );
}

/** The address in some text (a port, [brackets] and a %zone ignored), or undefined. */
export function addressOf(text: string): bigint | undefined {
  let t = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(t);
  if (bracketed) t = bracketed[1]!;
  else if (/^[^:]+:\d+$/.test(t)) t = t.slice(0, t.indexOf(":"));
  t = t.replace(/%.*$/, "");
  if (net.isIPv4(t)) return V4_MAPPED | v4Number(t);
  if (net.isIPv6(t)) return v6Number(t);
  return undefined;
}

/** An IPv4 address (IPv4-mapped in the 128-bit form). */
export function isV4(n: bigint): boolean {
  return n >> 32n === 0xffffn;
}

/** An address as people write it (port dropped), or undefined when the text is not one. */
export function addressText(text: string): string | undefined {
  const n = addressOf(text);
  return n === undefined ? undefined : addressNumberText(n);
}

/** A 128-bit address (IPv4 mapped) as text: dotted IPv4, or IPv6 in RFC 5952 form. */
export function addressNumberText(n: bigint): string {
  if (isV4(n)) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join(".");
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => (n >> s) & 0xffffn);
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0n) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0n) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.len < 2) return hex.join(":");
  return `${hex.slice(0, best.at).join(":")}::${hex.slice(best.at + best.len).join(":")}`;
}

/** `addr/len` as an inclusive range of 128-bit addresses (IPv4 within the mapped block). */
export function cidrBounds(cidr: string): { lo: bigint; hi: bigint } {
  const slash = cidr.lastIndexOf("/");
  const addr = cidr.slice(0, slash);
  const v4 = net.isIPv4(addr);
  const len = Number(cidr.slice(slash + 1)) + (v4 ? 96 : 0);
  const base = addressOf(addr);
  if (base === undefined) throw new Error(`the oracle cannot read CIDR ${cidr}`);
  const hostBits = BigInt(128 - len);
  const lo = (base >> hostBits) << hostBits;
  return { lo, hi: lo + (1n << hostBits) - 1n };
}

// ---------------------------------------------------------------------------------------------
// Comparisons.

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** The audit HMAC of a plaintext, as a Vault device with this salt writes it. */
export function oracleHmac(salt: string, plaintext: string): string {
  return HMAC_PREFIX + createHmac("sha256", salt).update(plaintext).digest("hex");
}

function sign(n: number | bigint): number {
  return n > 0 ? 1 : n < 0 ? -1 : 0;
}

/** A value's text for `^=` and `~`: an address as its bare address (as stages show it), else as is. */
function matchText(field: OField, value: string): string {
  return ADDRESS_FIELDS.has(field) ? (addressText(value) ?? value) : value;
}

/** value <=> literal, or undefined when the two cannot be ordered. */
function order(field: OField, value: string, literal: string): number | undefined {
  const iv = rfc3339Nanos(value);
  const il = rfc3339Nanos(literal);
  if (field === "time") return iv !== undefined && il !== undefined ? sign(iv - il) : undefined;
  if (NUMBER_FIELDS.has(field)) {
    return NUMBER.test(value) && NUMBER.test(literal)
      ? sign(Number(value) - Number(literal))
      : undefined;
  }
  if (isCatalogField(field)) return undefined;
  if (NUMBER.test(value) && NUMBER.test(literal)) return sign(Number(value) - Number(literal));
  if (iv !== undefined && il !== undefined) return sign(iv - il);
  return undefined;
}

/** The test `value = literal` on one value of a field (the literal read once). */
function equalTo(field: OField, literal: string): (value: string) => boolean {
  if (ADDRESS_FIELDS.has(field)) {
    const want = addressOf(literal);
    return (v) => want !== undefined && addressOf(v) === want;
  }
  if (field === "time") {
    const want = rfc3339Nanos(literal);
    return (v) => v === literal || (want !== undefined && rfc3339Nanos(v) === want);
  }
  if ((!isCatalogField(field) || NUMBER_FIELDS.has(field)) && NUMBER.test(literal)) {
    const want = Number(literal);
    return (v) => v === literal || (NUMBER.test(v) && Number(v) === want);
  }
  return (v) => v === literal;
}

/** The test `value op literal` on one value of a field (`!=` is handled as `not =`). */
function valueTest(field: OField, op: OCompareOp, literal: string): (value: string) => boolean {
  switch (op) {
    case "=":
    case "!=":
      return equalTo(field, literal);
    case "^=":
      return (v) => matchText(field, v).startsWith(literal);
    case "~": {
      const re = new RegExp(literal);
      return (v) => re.test(matchText(field, v));
    }
    case "<":
      return (v) => (order(field, v, literal) ?? NaN) < 0;
    case "<=":
      return (v) => (order(field, v, literal) ?? NaN) <= 0;
    case ">":
      return (v) => (order(field, v, literal) ?? NaN) > 0;
    case ">=":
      return (v) => (order(field, v, literal) ?? NaN) >= 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

export interface OracleOptions {
  /** The audit device's salt, for hash(). */
  readonly salt: string;
}

/** A stage item as tests compare them (records as their original line). */
export type OItem =
  | { readonly kind: "record"; readonly line: string }
  | { readonly kind: "lease"; readonly lease: string; readonly namespace: string | null }
  | { readonly kind: "value"; readonly value: Json }
  | { readonly kind: "group"; readonly value: Json; readonly count: number }
  | { readonly kind: "count"; readonly count: number }
  | { readonly kind: "row"; readonly values: readonly Json[] };

/** Field values of every entry, by field, kept per entry list (queries repeat fields a lot). */
const columnCache = new WeakMap<readonly OEntry[], Map<string, readonly string[][]>>();

function column(entries: readonly OEntry[], field: OField): readonly string[][] {
  let byField = columnCache.get(entries);
  if (!byField) columnCache.set(entries, (byField = new Map()));
  let col = byField.get(field);
  if (!col) byField.set(field, (col = entries.map((e) => valueTexts(e.entry, field))));
  return col;
}

type EntryTest = (i: number) => boolean;

/** An expression as a test on the entry at position i (literals, regexes, subqueries read once). */
function compile(x: OExpr, entries: readonly OEntry[], opts: OracleOptions): EntryTest {
  const text = (v: OLiteral): string => ("hash" in v ? oracleHmac(opts.salt, v.hash) : v.text);
  const anyValue = (field: OField, test: (v: string) => boolean): EntryTest => {
    const col = column(entries, field);
    return (i) => col[i]!.some(test);
  };
  const anyEqual = (field: OField, items: readonly string[]): EntryTest => {
    const tests = items.map((item) => equalTo(field, item));
    return anyValue(field, (v) => tests.some((t) => t(v)));
  };
  switch (x.kind) {
    case "all":
      return () => true;
    case "compare": {
      const t = anyValue(x.field, valueTest(x.field, x.op, text(x.value)));
      return x.op === "!=" ? (i) => !t(i) : t;
    }
    case "cidr": {
      const { lo, hi } = cidrBounds(x.cidr);
      return anyValue(x.field, (v) => {
        const a = addressOf(v);
        return a !== undefined && a >= lo && a <= hi;
      });
    }
    case "list":
      return anyEqual(x.field, x.items.map(text));
    case "subquery": {
      const stages = [...(x.stages ?? []), { kind: "distinct", field: x.distinct } as const];
      const values = oracleAnswer({ where: x.where, stages }, entries, opts).flatMap((item) => {
        const t = item.kind === "value" ? scalarText(item.value) : undefined;
        return t === undefined ? [] : [t];
      });
      return anyEqual(x.field, values);
    }
    case "exists": {
      if (isCatalogField(x.field)) {
        const col = column(entries, x.field);
        return (i) => col[i]!.length > 0;
      }
      return (i) => dottedValues(entries[i]!.entry, x.field).length > 0;
    }
    case "and": {
      const ts = x.terms.map((t) => compile(t, entries, opts));
      return (i) => ts.every((t) => t(i));
    }
    case "or": {
      const ts = x.terms.map((t) => compile(t, entries, opts));
      return (i) => ts.some((t) => t(i));
    }
    case "not": {
      const t = compile(x.operand, entries, opts);
      return (i) => !t(i);
    }
  }
}

/** The entries a query's filter matches, in record id order. */
export function oracleMatches(
  where: OExpr,
  entries: readonly OEntry[],
  opts: OracleOptions,
): OEntry[] {
  const test = compile(where, entries, opts);
  return entries.filter((_, i) => test(i));
}

function valueKey(v: Json): string {
  return JSON.stringify(v);
}

function valueOrderText(v: Json): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function groupsOf(matched: readonly OEntry[], field: OField): OItem[] {
  const counts = new Map<string, { value: Json; count: number }>();
  for (const e of matched) {
    const inEntry = new Set<string>();
    for (const value of displayValues(e.entry, field)) {
      const key = valueKey(value);
      if (inEntry.has(key)) continue;
      inEntry.add(key);
      const g = counts.get(key);
      if (g) g.count++;
      else counts.set(key, { value, count: 1 });
    }
  }
  return [...counts.values()]
    .sort((a, b) => {
      if (a.count !== b.count) return b.count - a.count;
      const ta = valueOrderText(a.value);
      const tb = valueOrderText(b.value);
      return ta < tb ? -1 : ta > tb ? 1 : 0;
    })
    .map((g) => ({ kind: "group", value: g.value, count: g.count }));
}

/** A stage item's values of a column (rows and values: the stage that made them named it). */
function itemValues(item: OItem, columns: readonly OField[], field: OField): Json[] {
  const spread = (v: Json): Json[] =>
    v === null || v === undefined ? [] : Array.isArray(v) ? v : [v];
  switch (item.kind) {
    case "row":
      return spread(item.values[columns.indexOf(field)]);
    case "value":
    case "group":
      return columns[0] === field ? spread(item.value) : [];
    default:
      throw new Error(`the oracle has no column ${field} in ${item.kind} items`);
  }
}

/** `sort F`: by the first value (time as instants, numbers numerically, else text); none last. */
function sortBy<T>(
  xs: readonly T[],
  firstValue: (x: T) => Json,
  field: OField,
  desc: boolean,
): T[] {
  type Key = { rank: number; n?: number; t?: bigint; s?: string };
  const keyOf = (x: T): Key => {
    const v = firstValue(x);
    if (v === undefined || v === null) return { rank: 3 };
    if (typeof v === "number") return { rank: 0, n: v };
    if (typeof v === "string") {
      const t = field === "time" ? rfc3339Nanos(v) : undefined;
      if (t !== undefined) return { rank: 1, t };
      if (NUMBER.test(v)) return { rank: 0, n: Number(v) };
      return { rank: 2, s: v };
    }
    return { rank: 2, s: JSON.stringify(v) };
  };
  const cmpKeys = (a: Key, b: Key): number => {
    if (a.rank !== b.rank) return a.rank - b.rank;
    if (a.rank === 0) return a.n! - b.n!;
    if (a.rank === 1) return sign(a.t! - b.t!);
    if (a.rank === 2) return a.s! < b.s! ? -1 : a.s! > b.s! ? 1 : 0;
    return 0;
  };
  const keyed = xs.map((e) => ({ e, k: keyOf(e) }));
  keyed.sort((a, b) => {
    if (a.k.rank === 3 || b.k.rank === 3) return cmpKeys(a.k, b.k);
    return desc ? -cmpKeys(a.k, b.k) : cmpKeys(a.k, b.k);
  });
  return keyed.map((x) => x.e);
}

/** What a query answers: its stages applied to the matched entries. */
export function oracleAnswer(q: OQuery, entries: readonly OEntry[], opts: OracleOptions): OItem[] {
  let records: OEntry[] = oracleMatches(q.where, entries, opts);
  let items: OItem[] | undefined; // undefined while the items are still the records
  let columns: readonly OField[] = []; // what rows, values and groups hold
  const asItems = (): OItem[] => items ?? records.map((e) => ({ kind: "record", line: e.line }));
  for (const s of q.stages) {
    switch (s.kind) {
      case "leases": {
        const seen = new Set<string>();
        const out: OItem[] = [];
        for (const e of records) {
          for (const lease of valueTexts(e.entry, "lease")) {
            if (seen.has(lease)) continue;
            seen.add(lease);
            // The namespace path as written (the revoker's X-Vault-Namespace): none for root.
            const ns = dottedValues(e.entry, "request.namespace.path")[0];
            out.push({
              kind: "lease",
              lease,
              namespace: typeof ns === "string" && ns !== "" ? ns : null,
            });
          }
        }
        items = out;
        break;
      }
      case "distinct": {
        const seen = new Set<string>();
        const out: OItem[] = [];
        const valuesOf: Json[][] = items
          ? items.map((item) => itemValues(item, columns, s.field))
          : records.map((e) => displayValues(e.entry, s.field));
        for (const values of valuesOf) {
          for (const value of values) {
            if (seen.has(valueKey(value))) continue;
            seen.add(valueKey(value));
            out.push({ kind: "value", value });
          }
        }
        items = out;
        columns = [s.field];
        break;
      }
      case "count":
        items = [{ kind: "count", count: asItems().length }];
        break;
      case "countBy":
        items = groupsOf(records, s.field);
        columns = [s.field];
        break;
      case "top":
        items = groupsOf(records, s.field).slice(0, s.n);
        columns = [s.field];
        break;
      case "fields":
        columns = s.fields;
        items = records.map((e) => ({
          kind: "row",
          values: s.fields.map((f) => {
            const vs = distinctInOrder(displayValues(e.entry, f));
            return vs.length === 0 ? null : vs.length === 1 ? vs[0] : vs;
          }),
        }));
        break;
      case "limit":
        if (items) items = items.slice(0, s.n);
        else records = records.slice(0, s.n);
        break;
      case "sort":
        if (items) {
          const cols = columns;
          items = sortBy(items, (x) => itemValues(x, cols, s.field)[0], s.field, s.desc);
        } else {
          records = sortBy(records, (e) => displayValues(e.entry, s.field)[0], s.field, s.desc);
        }
        break;
    }
  }
  return asItems();
}

// ---------------------------------------------------------------------------------------------
// The engine's answer in the same shape (structural types, so this file never imports src/).

interface EngineRecord {
  readonly line: Uint8Array;
}

/** The items a query run yields (src/query/stage-output.ts), structurally. */
export type EngineItem =
  | { readonly kind: "record"; readonly record: EngineRecord }
  | { readonly kind: "lease"; readonly lease: string; readonly namespace: string | null }
  | { readonly kind: "value"; readonly value: unknown }
  | { readonly kind: "group"; readonly value: unknown; readonly count: number }
  | { readonly kind: "count"; readonly count: number }
  | { readonly kind: "row"; readonly values: readonly unknown[] }
  | { readonly kind: "pair" | "bucket" };

/** Engine items as the oracle writes them: records as their line, other items without extras. */
export async function engineAnswer(items: AsyncIterable<EngineItem>): Promise<OItem[]> {
  const out: OItem[] = [];
  for await (const item of items) {
    switch (item.kind) {
      case "record":
        out.push({ kind: "record", line: Buffer.from(item.record.line).toString("utf8") });
        break;
      case "lease":
        out.push({ kind: "lease", lease: item.lease, namespace: item.namespace });
        break;
      case "value":
        out.push({ kind: "value", value: item.value });
        break;
      case "group":
        out.push({ kind: "group", value: item.value, count: item.count });
        break;
      case "count":
        out.push({ kind: "count", count: item.count });
        break;
      case "row":
        out.push({ kind: "row", values: item.values });
        break;
      default:
        throw new Error(`the oracle does not compare ${item.kind} items`);
    }
  }
  return out;
}

function itemText(item: OItem): string {
  const s = item.kind === "record" ? item.line : JSON.stringify(item);
  return s.length > 160 ? `${s.slice(0, 160)}…` : s;
}

/**
 * How two answers differ, in a few readable lines (undefined when they are equal): the counts,
 * the first position where they part, and a few items only one side has.
 */
export function answerDifference(
  expected: readonly OItem[],
  actual: readonly OItem[],
): string | undefined {
  const keys = (xs: readonly OItem[]): string[] => xs.map((x) => JSON.stringify(x));
  const e = keys(expected);
  const a = keys(actual);
  if (e.length === a.length && e.every((k, i) => k === a[i])) return undefined;
  const first = e.findIndex((k, i) => k !== a[i]);
  const aSet = new Set(a);
  const eSet = new Set(e);
  const missing = expected.filter((_, i) => !aSet.has(e[i]!)).slice(0, 3);
  const extra = actual.filter((_, i) => !eSet.has(a[i]!)).slice(0, 3);
  return [
    `expected ${expected.length} items, got ${actual.length}; first difference at #${first < 0 ? e.length : first}`,
    ...missing.map((x) => `  missing: ${itemText(x)}`),
    ...extra.map((x) => `  extra:   ${itemText(x)}`),
    ...(missing.length === 0 && extra.length === 0 ? ["  same items, different order"] : []),
  ].join("\n");
}
