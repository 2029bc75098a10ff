// The meaning of a predicate on one audit entry: the reference semantics. The planner's index
// lookups are a faster way to the same answer and fall back to these tests wherever the index
// cannot be exact (cut long values, dotted paths, numeric comparisons).
//
// A field has zero or more values in an entry (catalogFieldValues / valuesAtPath); a predicate
// holds when ANY value satisfies it. `!=` is `not =`, so an entry without the field matches it.
// Comparisons, by the field's kind (field-catalog.ts): ip values compare as addresses (a port is
// ignored; `^=` and `~` see the address as printed), time values as instants (`^=` and `~` see the
// text as written), number values as numbers, text and hmac values as text; dotted-path values as
// numbers when both sides are numbers, else as instants when both are times; ordering anything
// else matches nothing.
import {
  catalogFieldValues,
  scalarText,
  valuesAtPath,
  type AuditEntry,
} from "../audit/audit-entry.js";
import { fieldByName, type FieldSpec } from "../audit/field-catalog.js";
import { ipKey, ipKeyText, type KeyRange } from "../audit/ip-key.js";
import { compareInstants, parseInstant } from "../audit/time-key.js";
import type { CompareOp, FieldRef } from "./ast.js";
import { compileSafeRegex, type SafeRegex } from "./safe-regex.js";

export type EntryTest = (entry: AuditEntry) => boolean;

function specOf(field: FieldRef): FieldSpec | undefined {
  return field.catalog ? fieldByName(field.name) : undefined;
}

/** The field's values in an entry as text (ip: as written, with any port). */
export function fieldTexts(entry: AuditEntry, field: FieldRef): string[] {
  const spec = specOf(field);
  if (spec) return catalogFieldValues(entry, spec);
  const out: string[] = [];
  for (const v of valuesAtPath(entry, field.name)) {
    const t = scalarText(v);
    if (t !== undefined) out.push(t);
  }
  return out;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function inRange(key: Uint8Array, r: KeyRange): boolean {
  return Buffer.compare(key, r.lo) >= 0 && Buffer.compare(key, r.hi) <= 0;
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const LOOSE_NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Order two texts of a field: addresses, instants, numbers or text (see the module comment). */
export function compareTexts(
  spec: FieldSpec | undefined,
  a: string,
  b: string,
): number | undefined {
  switch (spec?.kind) {
    case "time": {
      const ia = parseInstant(a);
      const ib = parseInstant(b);
      return ia && ib ? compareInstants(ia, ib) : undefined;
    }
    case "ip": {
      const ka = ipKey(a);
      const kb = ipKey(b);
      return ka && kb ? Buffer.compare(ka, kb) : undefined;
    }
    case "number":
      return LOOSE_NUMBER.test(a) && LOOSE_NUMBER.test(b) ? Number(a) - Number(b) : undefined;
    case "text":
    case "hmac":
      return a < b ? -1 : a > b ? 1 : 0;
    case undefined: {
      // Dotted paths order numbers and times only (README: `<` `>` are for times and numbers).
      if (NUMBER.test(a) && NUMBER.test(b)) return Number(a) - Number(b);
      const ia = parseInstant(a);
      const ib = ia && parseInstant(b);
      return ia && ib ? compareInstants(ia, ib) : undefined;
    }
  }
}

/** An address as stages print it (no port, canonical form); other text as it is. */
function addressText(v: string): string {
  const key = ipKey(v);
  return key ? ipKeyText(key) : v;
}

function equalTexts(spec: FieldSpec | undefined, value: string, literal: string): boolean {
  if (value === literal) return true;
  switch (spec?.kind) {
    case "ip":
    case "time":
    case "number":
      return compareTexts(spec, value, literal) === 0;
    case "text":
    case "hmac":
      return false;
    case undefined:
      return NUMBER.test(value) && NUMBER.test(literal) && Number(value) === Number(literal);
  }
}

/**
 * The test of `op literal` on one value of a field (`!=` tests equality: the caller negates it
 * over the whole entry). The planner runs it on each term's text of a dictionary, and compareTest
 * on each value of an entry.
 */
export function valueTest(
  spec: FieldSpec | undefined,
  op: CompareOp,
  literal: string,
  regex?: SafeRegex,
): (value: string) => boolean {
  // Addresses are matched as they print (no port, canonical form), like `distinct ip` shows them.
  const shown = spec?.kind === "ip" ? addressText : (v: string): string => v;
  switch (op) {
    case "=":
    case "!=":
      return (v) => equalTexts(spec, v, literal);
    case "^=":
      return (v) => shown(v).startsWith(literal);
    case "~": {
      const re = regex ?? compileSafeRegex(literal, literal, 0);
      return (v) => re.test(shown(v));
    }
    case "<":
      return (v) => (compareTexts(spec, v, literal) ?? NaN) < 0;
    case "<=":
      return (v) => (compareTexts(spec, v, literal) ?? NaN) <= 0;
    case ">":
      return (v) => (compareTexts(spec, v, literal) ?? NaN) > 0;
    case ">=":
      return (v) => (compareTexts(spec, v, literal) ?? NaN) >= 0;
  }
}

/** The test of `field op literal`. `regex` is the compiled pattern for `~` (safe-regex.ts). */
export function compareTest(
  field: FieldRef,
  op: CompareOp,
  literal: string,
  regex?: SafeRegex,
): EntryTest {
  const test = valueTest(specOf(field), op, literal, regex);
  if (op === "!=") return (e) => !fieldTexts(e, field).some(test);
  return (e) => fieldTexts(e, field).some(test);
}

/** `field in [items]`: any value equal to any item (items already resolved to text). */
export function listTest(field: FieldRef, items: readonly string[]): EntryTest {
  const spec = specOf(field);
  if (spec?.kind === "ip") {
    const keys = items.map((i) => ipKey(i)).filter((k): k is Uint8Array => k !== undefined);
    return (e) =>
      fieldTexts(e, field).some((v) => {
        const k = ipKey(v);
        return k !== undefined && keys.some((x) => bytesEqual(x, k));
      });
  }
  const set = new Set(items);
  return (e) =>
    fieldTexts(e, field).some((v) => set.has(v) || items.some((i) => equalTexts(spec, v, i)));
}

/** `field in CIDR`. */
export function cidrTest(field: FieldRef, range: KeyRange): EntryTest {
  return (e) =>
    fieldTexts(e, field).some((v) => {
      const k = ipKey(v);
      return k !== undefined && inRange(k, range);
    });
}

/** `exists field`: a catalog field with a value, or a dotted path present (objects count). */
export function existsTest(field: FieldRef): EntryTest {
  if (field.catalog) return (e) => fieldTexts(e, field).length > 0;
  return (e) => valuesAtPath(e, field.name).length > 0;
}
