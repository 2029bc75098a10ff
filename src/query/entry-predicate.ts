// The meaning of a predicate on one audit entry: the reference semantics. The planner's index
// lookups are a faster way to the same answer and fall back to these tests wherever the index
// cannot be exact (cut long values, dotted paths, numeric comparisons).
//
// A field has zero or more values in an entry (catalogFieldValues / valuesAtPath); a predicate
// holds when ANY value satisfies it. `!=` is `not =`, so an entry without the field matches it.
// Comparisons: ip values compare as addresses (a port is ignored; `^=` and `~` see the address as
// printed), time values as instants (`^=` and `~` see the text as written), dotted-path values as
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

/** The field's values in an entry as text (ip: as written, with any port). */
export function fieldTexts(entry: AuditEntry, field: FieldRef): string[] {
  const spec = field.catalog ? fieldByName(field.name) : undefined;
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

/** Order two texts of a field: addresses, instants, numbers or text (see the module comment). */
export function compareTexts(
  spec: FieldSpec | undefined,
  a: string,
  b: string,
): number | undefined {
  if (spec?.kind === "time") {
    const ia = parseInstant(a);
    const ib = parseInstant(b);
    return ia && ib ? compareInstants(ia, ib) : undefined;
  }
  if (spec?.kind === "ip") {
    const ka = ipKey(a);
    const kb = ipKey(b);
    return ka && kb ? Buffer.compare(ka, kb) : undefined;
  }
  if (spec) return a < b ? -1 : a > b ? 1 : 0;
  // Dotted paths order numbers and times only (SPEC: `<` `>` are for times and numbers).
  if (NUMBER.test(a) && NUMBER.test(b)) return Number(a) - Number(b);
  const ia = parseInstant(a);
  const ib = ia && parseInstant(b);
  return ia && ib ? compareInstants(ia, ib) : undefined;
}

/** An address as stages print it (no port, canonical form); other text as it is. */
function addressText(v: string): string {
  const key = ipKey(v);
  return key ? ipKeyText(key) : v;
}

function equalTexts(spec: FieldSpec | undefined, value: string, literal: string): boolean {
  if (value === literal) return true;
  if (spec?.kind === "ip" || spec?.kind === "time") return compareTexts(spec, value, literal) === 0;
  if (!spec && NUMBER.test(value) && NUMBER.test(literal)) return Number(value) === Number(literal);
  return false;
}

/** The test of `field op literal`. `regex` is the compiled pattern for `~` (safe-regex.ts). */
export function compareTest(
  field: FieldRef,
  op: CompareOp,
  literal: string,
  regex?: SafeRegex,
): EntryTest {
  const spec = field.catalog ? fieldByName(field.name) : undefined;
  const any =
    (pred: (v: string) => boolean): EntryTest =>
    (e) =>
      fieldTexts(e, field).some(pred);
  switch (op) {
    case "=":
      return any((v) => equalTexts(spec, v, literal));
    case "!=": {
      const eq = any((v) => equalTexts(spec, v, literal));
      return (e) => !eq(e);
    }
    // Addresses are matched as they print (no port, canonical form), like `distinct ip` shows them.
    case "^=":
      return spec?.kind === "ip"
        ? any((v) => addressText(v).startsWith(literal))
        : any((v) => v.startsWith(literal));
    case "~": {
      const re = regex ?? compileSafeRegex(literal, literal, 0);
      return spec?.kind === "ip" ? any((v) => re.test(addressText(v))) : any((v) => re.test(v));
    }
    case "<":
      return any((v) => (compareTexts(spec, v, literal) ?? NaN) < 0);
    case "<=":
      return any((v) => (compareTexts(spec, v, literal) ?? NaN) <= 0);
    case ">":
      return any((v) => (compareTexts(spec, v, literal) ?? NaN) > 0);
    case ">=":
      return any((v) => (compareTexts(spec, v, literal) ?? NaN) >= 0);
  }
}

/** `field in [items]`: any value equal to any item (items already resolved to text). */
export function listTest(field: FieldRef, items: readonly string[]): EntryTest {
  const spec = field.catalog ? fieldByName(field.name) : undefined;
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
