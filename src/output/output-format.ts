// Which output format a query prints in (README.md, "Commands"): `ndjson` by default (the matching
// entries byte for byte); a pipeline that ends in leases, distinct, count, count by, top or
// timeline prints plain lines unless a format was asked for explicitly. Pure.
import type { Stage } from "../query/ast.js";

export const OUTPUT_FORMATS = ["ndjson", "json", "table", "csv", "plain"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const PLAIN_BY_DEFAULT: ReadonlySet<Stage["kind"]> = new Set([
  "leases",
  "distinct",
  "count",
  "countBy",
  "top",
  "timeline",
]);

export function isOutputFormat(text: string): text is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(text);
}

/**
 * The format to print in: the explicit `--format` if given, else plain for a pipeline whose last
 * stage (ignoring trailing `limit`/`sort`) makes values or counts, else ndjson.
 */
export function defaultFormat(stages: readonly Stage[], explicit?: OutputFormat): OutputFormat {
  if (explicit) return explicit;
  for (let i = stages.length - 1; i >= 0; i--) {
    const kind = stages[i]!.kind;
    if (kind === "limit" || kind === "sort") continue;
    return PLAIN_BY_DEFAULT.has(kind) ? "plain" : "ndjson";
  }
  return "ndjson";
}
