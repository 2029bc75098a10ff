// Read an audit entry by name, never by key order (Vault versions differ in both order and which
// fields they write; older ones write empty fields like `"error":""`). Pure; safe in workers.
import { FIELDS, type FieldSpec } from "./field-catalog.js";
import { HMAC_PREFIX } from "./audit-hmac.js";

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

type Step = { readonly key: string; readonly each: boolean };
const compiled = new Map<string, readonly Step[]>();

function compile(path: string): readonly Step[] {
  let steps = compiled.get(path);
  if (!steps) {
    steps = path
      .split(".")
      .map((part) =>
        part.endsWith("[]") ? { key: part.slice(0, -2), each: true } : { key: part, each: false },
      );
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
  const child = (node as Record<string, unknown>)[step.key];
  if (step.each || (Array.isArray(child) && i === steps.length - 1)) {
    // A trailing array is walked even without `[]`, so `policy` and dotted paths to lists match items.
    if (Array.isArray(child)) for (const item of child) walk(item, steps, i + 1, out);
    else walk(child, steps, i + 1, out);
  } else {
    walk(child, steps, i + 1, out);
  }
}

/** Every value at a dotted path (`request.remote_address`, `auth.policies[]`); arrays fan out. */
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

function collectHmacs(node: unknown, out: string[]): void {
  if (typeof node === "string") {
    if (node.startsWith(HMAC_PREFIX)) out.push(node);
  } else if (Array.isArray(node)) {
    for (const item of node) collectHmacs(item, out);
  } else if (node !== null && typeof node === "object") {
    for (const key in node) collectHmacs((node as Record<string, unknown>)[key], out);
  }
}

/** Every `hmac-sha256:` string anywhere in the entry, in document order (may repeat). */
export function hmacValues(entry: unknown): string[] {
  const out: string[] = [];
  collectHmacs(entry, out);
  return out;
}

/**
 * The values of a catalog field in an entry, as text. Empty strings are dropped (old Vaults write
 * `"error":""` and empty tokens), and `ip` values keep their raw form (see ip-key.ts to parse).
 */
export function catalogFieldValues(entry: unknown, field: FieldSpec): string[] {
  if (field.name === "hmac") return hmacValues(entry);
  const out: string[] = [];
  for (const path of field.paths) {
    for (const v of valuesAtPath(entry, path)) {
      const text = scalarText(v);
      if (text === undefined || text === "") continue;
      if (field.name === "ip" && path !== "request.remote_address") {
        // X-Forwarded-For: "client, proxy1, proxy2" (one header value may list several).
        for (const part of text.split(",")) {
          const p = part.trim();
          if (p) out.push(p);
        }
      } else {
        out.push(text);
      }
    }
  }
  return out;
}

export { FIELDS };
