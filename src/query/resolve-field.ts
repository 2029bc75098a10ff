// Which field a word names: a catalog field (audit/field-catalog.ts), a dotted path into the entry
// (it may start at any top-level key: Vault Enterprise, OpenBao and HCP write keys beyond the usual
// ones), one of the top-level keys Vault writes, alone (`forwarded`), or any path from the top
// written with a leading dot (`.hostname`, as jq writes it). Anything else is a
// QueryError ("unknown field `remote_adress`", hint "did you mean `ip`?"), never an empty result;
// so is a dotted path whose first key is a near miss of a known one (`reqest.path`).
import { FIELD_ALIASES, FIELDS, fieldByName, TOP_LEVEL_KEYS } from "../audit/field-catalog.js";
import { QueryError } from "../errors.js";
import type { FieldRef } from "./ast.js";
import { nearestName } from "./nearest-name.js";

const FIELD_NAMES = FIELDS.map((f) => f.name);
const TOP_KEYS: readonly string[] = TOP_LEVEL_KEYS;

/** The catalog field a mistyped or aliased name most likely means. */
export function suggestField(name: string): string | undefined {
  const lower = name.toLowerCase();
  const alias = FIELD_ALIASES[lower];
  if (alias) return alias;
  if (fieldByName(lower)) return lower;
  const dot = name.indexOf(".");
  if (dot >= 0) {
    const head = nearestName(name.slice(0, dot), TOP_KEYS);
    return head ? head + name.slice(dot) : undefined;
  }
  const near = nearestName(lower, [...FIELD_NAMES, ...Object.keys(FIELD_ALIASES), ...TOP_KEYS]);
  return near === undefined ? undefined : (FIELD_ALIASES[near] ?? near);
}

function unknown(name: string, offset: number, query: string, why?: string): QueryError {
  const suggestion = suggestField(name);
  const hint = suggestion
    ? `did you mean \`${suggestion}\`?`
    : `fields are ${FIELD_NAMES.join(", ")}, a dotted path like response.data.username, ` +
      `or a top-level key of the entry written \`.${name}\``;
  return new QueryError(`unknown field \`${name}\`${why ? ` (${why})` : ""}`, query, offset, hint);
}

/** The FieldRef for a word at `offset` of `query`, or a QueryError saying what was meant. */
export function resolveField(name: string, offset: number, query: string): FieldRef {
  if (fieldByName(name)) return { kind: "field", name, catalog: true, offset };
  if (/^-?\d+(?:\.\d+)?$/.test(name)) {
    throw new QueryError(`expected a field, found the number \`${name}\``, query, offset);
  }
  if (TOP_KEYS.includes(name)) return { kind: "field", name, catalog: false, offset };
  // `.key` (as in jq): a path from the entry's top level, said explicitly, for keys we do not
  // know (log shippers and HCP add their own): no "did you mean".
  const explicit = name.startsWith(".");
  const path = explicit ? name.slice(1) : name;
  if (!explicit && !name.includes(".")) throw unknown(name, offset, query);
  const segments = path.split(".");
  if (segments.some((s) => s === "")) {
    throw new QueryError(`\`${name}\` has an empty path segment`, query, offset);
  }
  const head = segments[0]!;
  if (!explicit && !TOP_KEYS.includes(head) && nearestName(head, TOP_KEYS) !== undefined) {
    throw unknown(
      name,
      offset,
      query,
      `\`${head}\` is not a key Vault writes; write \`.${name}\` if your entries have it`,
    );
  }
  return { kind: "field", name: path, catalog: false, offset };
}
