// Which field a word names: a catalog field (audit/field-catalog.ts) or a dotted path into the
// entry whose first segment is one of an audit entry's top-level keys. Anything else is a
// QueryError ("unknown field `remote_adress`", hint "did you mean `ip`?"), never an empty result.
import { FIELD_ALIASES, FIELDS, fieldByName } from "../audit/field-catalog.js";
import { QueryError } from "../errors.js";
import type { FieldRef } from "./ast.js";
import { nearestName } from "./nearest-name.js";

/** The keys an audit entry has at its top level; a dotted path must start with one. */
export const TOP_LEVEL_KEYS = ["time", "type", "auth", "request", "response", "error"] as const;

const FIELD_NAMES = FIELDS.map((f) => f.name);

/** The catalog field a mistyped or aliased name most likely means. */
export function suggestField(name: string): string | undefined {
  const lower = name.toLowerCase();
  const alias = FIELD_ALIASES[lower];
  if (alias) return alias;
  if (fieldByName(lower)) return lower;
  const dot = name.indexOf(".");
  if (dot >= 0) {
    const head = nearestName(name.slice(0, dot), TOP_LEVEL_KEYS);
    return head ? head + name.slice(dot) : undefined;
  }
  const near = nearestName(lower, [...FIELD_NAMES, ...Object.keys(FIELD_ALIASES)]);
  return near === undefined ? undefined : (FIELD_ALIASES[near] ?? near);
}

function unknown(name: string, offset: number, query: string, why?: string): QueryError {
  const suggestion = suggestField(name);
  const hint = suggestion
    ? `did you mean \`${suggestion}\`?`
    : `fields are ${FIELD_NAMES.join(", ")}, or a dotted path like response.data.username`;
  return new QueryError(`unknown field \`${name}\`${why ? ` (${why})` : ""}`, query, offset, hint);
}

/** The FieldRef for a word at `offset` of `query`, or a QueryError saying what was meant. */
export function resolveField(name: string, offset: number, query: string): FieldRef {
  if (fieldByName(name)) return { kind: "field", name, catalog: true, offset };
  if (/^-?\d+(?:\.\d+)?$/.test(name)) {
    throw new QueryError(`expected a field, found the number \`${name}\``, query, offset);
  }
  if (!name.includes(".")) throw unknown(name, offset, query);
  const segments = name.split(".");
  if (segments.some((s) => s === "")) {
    throw new QueryError(`\`${name}\` has an empty path segment`, query, offset);
  }
  if (!(TOP_LEVEL_KEYS as readonly string[]).includes(segments[0]!)) {
    throw unknown(name, offset, query, `a dotted path starts with ${TOP_LEVEL_KEYS.join(", ")}`);
  }
  return { kind: "field", name, catalog: false, offset };
}
