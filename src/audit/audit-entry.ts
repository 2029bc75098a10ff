// Read an audit entry by name, never by key order (Vault versions differ in both order and which
// fields they write; older ones write empty fields like `"error":""`). Pure; safe in workers.
import { HMAC_PREFIX } from "./audit-hmac.js";
import { deriveValues } from "./derived-values.js";
import { FIELDS, type FieldKind, type FieldSpec } from "./field-catalog.js";
import { ipKey } from "./ip-key.js";
import { parseInstant } from "./time-key.js";

/** A parsed audit entry: a JSON object with a string `type` and a request, response or auth. */
export type AuditEntry = { readonly type: string } & Readonly<Record<string, unknown>>;

/** Why a parsed JSON value is not an audit entry, or undefined when it is one. */
export function notAnAuditEntry(value: unknown): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return "not a JSON object";
  }
  const type = (value as Record<string, unknown>).type;
  if (typeof type !== "string" || type === "") return 'no string "type" field';
  const o = value as Record<string, unknown>;
  if (o.request === undefined && o.response === undefined && o.auth === undefined) {
    return 'none of "request", "response", "auth"';
  }
  return undefined;
}

type Step = { readonly key: string; readonly each: boolean; readonly everyValue: boolean };
const compiled = new Map<string, readonly Step[]>();

function compile(path: string): readonly Step[] {
  let steps = compiled.get(path);
  if (!steps) {
    steps = path.split(".").map((part) => {
      if (part === "*") return { key: "", each: false, everyValue: true };
      const each = part.endsWith("[]");
      return { key: each ? part.slice(0, -2) : part, each, everyValue: false };
    });
    compiled.set(path, steps);
  }
  return steps;
}

function walk(node: unknown, steps: readonly Step[], i: number, out: unknown[]): void {
  if (i === steps.length) {
    if (node !== undefined && node !== null) out.push(node);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const step = steps[i]!;
  const last = i === steps.length - 1;
  const visit = (child: unknown): void => {
    // A trailing array is walked even without `[]`, so `policy` and dotted paths to lists match items.
    if (step.each || (Array.isArray(child) && last)) {
      if (Array.isArray(child)) for (const item of child) walk(item, steps, i + 1, out);
      else walk(child, steps, i + 1, out);
    } else {
      walk(child, steps, i + 1, out);
    }
  };
  if (step.everyValue) {
    if (!Array.isArray(node)) for (const key in node) visit((node as Record<string, unknown>)[key]);
  } else {
    visit((node as Record<string, unknown>)[step.key]);
  }
}

/**
 * Every value at a dotted path (`request.remote_address`, `auth.policies[]`,
 * `auth.policy_results.granting_policies[].name`, `auth.external_namespace_policies.*`); arrays
 * fan out.
 */
export function valuesAtPath(entry: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  walk(entry, compile(path), 0, out);
  return out;
}

/** A scalar as text for matching and output: strings as they are, numbers and booleans printed. */
export function scalarText(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "boolean":
      return String(value);
    default:
      return undefined;
  }
}

/** Every `hmac-sha256:` string anywhere in the entry, in document order (may repeat). */
export function hmacValues(entry: unknown): string[] {
  const out: string[] = [];
  deriveValues("everyHmac", entry, (text) => out.push(text));
  return out;
}

const NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * A text as a value of a field of `kind`, or undefined when it is not one (field-catalog.ts,
 * FieldKind): an `ip` must be an address, a `number` a number (kept in its shortest form), an
 * `hmac` an audit HMAC, a `time` an RFC 3339 time (an entry whose time does not parse has no
 * time); empty texts are never values.
 */
export function kindValue(kind: FieldKind, text: string): string | undefined {
  if (text === "") return undefined;
  switch (kind) {
    case "text":
      return text;
    case "time":
      return parseInstant(text) === undefined ? undefined : text;
    case "hmac":
      return text.startsWith(HMAC_PREFIX) ? text : undefined;
    case "number":
      return NUMBER.test(text) ? String(Number(text)) : undefined;
    case "ip":
      return ipKey(text) === undefined ? undefined : text;
  }
}

/**
 * The values of a catalog field in an entry, as text, in entry order (may repeat): the texts at
 * its paths, then its derived ones, each kept when it is a value of the field's kind (kindValue).
 * Empty strings are dropped (old Vaults write `"error":""` and empty tokens), and `ip` values
 * keep their raw form (`10.0.0.5:5696`; see ip-key.ts to parse).
 */
export function catalogFieldValues(entry: unknown, field: FieldSpec): string[] {
  const out: string[] = [];
  const add = (text: string): void => {
    const value = kindValue(field.kind, text);
    if (value !== undefined) out.push(value);
  };
  for (const path of field.paths) {
    for (const v of valuesAtPath(entry, path)) {
      const text = scalarText(v);
      if (text !== undefined) add(text);
    }
  }
  if (field.derived) deriveValues(field.derived, entry, add);
  return out;
}

export { FIELDS };
