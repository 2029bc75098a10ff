// Which segments a query answers from their records because their postings of a field it uses
// cannot answer (the segment was indexed before the field existed, or with an older revision of
// its extraction: store/segment-catalog.ts), said once: the hint the CLI prints on stderr, and
// the lines `--explain` adds. Answers stay right either way (the executor scans those segments);
// the hint says how to get the index's speed back. Pure: reads segment metadata only.
import { fieldByName, fieldOfKind, type FieldSpec } from "../audit/field-catalog.js";
import type { SegmentMeta } from "../store/format.js";
import type { IndexReader } from "../store/index-reader.js";
import { indexedRevision, staleReason } from "../store/segment-catalog.js";
import { assertNever, type FieldRef, type Stage } from "./ast.js";
import type { NodeStats } from "./execute.js";
import type { PlanNode } from "./plan.js";

const REINDEX_HINT = "`breakglass index --reindex` rebuilds them";

function catalogSpec(field: FieldRef): FieldSpec | undefined {
  return field.catalog ? fieldByName(field.name) : undefined;
}

/** The fields whose postings the plan reads (index lookups, ranges, dictionary scans). */
function planFields(node: PlanNode, out: Set<FieldSpec>): void {
  switch (node.kind) {
    case "all":
    case "filter":
      return;
    case "terms":
    case "range":
    case "dict":
      out.add(node.field);
      return;
    case "and":
    case "or":
      for (const c of node.children) planFields(c, out);
      return;
    case "not":
      planFields(node.child, out);
      return;
    default:
      return assertNever(node);
  }
}

/**
 * The fields whose postings a query reads: the plan's, the first stage's when the index answers
 * it (query/run-query.ts: count by, top, distinct, leases, timeline, sort time) and request_id
 * for `pair` (its partners are looked up by request id).
 */
export function queryFields(plan: PlanNode, stages: readonly Stage[]): FieldSpec[] {
  const out = new Set<FieldSpec>();
  planFields(plan, out);
  const first = stages[0];
  const add = (spec: FieldSpec | undefined): void => void (spec && out.add(spec));
  switch (first?.kind) {
    case "countBy":
    case "top":
    case "distinct":
    case "sort":
      add(catalogSpec(first.field));
      break;
    case "leases":
      add(fieldByName("lease"));
      break;
    case "timeline":
      add(fieldOfKind("time"));
      break;
    default:
      break;
  }
  if (stages.some((s) => s.kind === "pair")) add(fieldByName("request_id"));
  return [...out].sort((a, b) => a.code - b.code);
}

/** The fields' stale segments: segment → the fields it cannot answer for. */
function staleSegments(
  segments: readonly SegmentMeta[],
  fields: readonly FieldSpec[],
): Map<SegmentMeta, FieldSpec[]> {
  const out = new Map<SegmentMeta, FieldSpec[]>();
  for (const segment of segments) {
    const stale = fields.filter((f) => staleReason(segment, f) !== undefined);
    if (stale.length > 0) out.set(segment, stale);
  }
  return out;
}

function names(fields: Iterable<FieldSpec>): string {
  const list = [...new Set(fields)].sort((a, b) => a.code - b.code).map((f) => `\`${f.name}\``);
  return `${list.length === 1 ? "field" : "fields"} ${list.join(", ")}`;
}

/**
 * The one-line hint for a query that scanned segments indexed before a field it uses existed (or
 * with an older revision of it), or undefined when every segment's postings answered.
 * "3 of 5 segments were indexed before field `kv_path` existed and were scanned; …"
 */
export function staleFieldsNote(
  reader: IndexReader,
  plan: PlanNode,
  stages: readonly Stage[],
): string | undefined {
  const stale = staleSegments(reader.segments, queryFields(plan, stages));
  if (stale.size === 0) return undefined;
  const all = [...stale].flatMap(([segment, fields]) =>
    fields.map((f) => ({ f, reason: staleReason(segment, f) })),
  );
  const absent = all.every((s) => s.reason === "absent");
  const why = absent
    ? `indexed before ${names(all.map((s) => s.f))} existed`
    : `indexed with another revision of ${names(all.map((s) => s.f))}`;
  const n = reader.segments.length;
  const was = stale.size === 1 ? "was" : "were";
  const count = n === 1 ? "the index's one segment" : `${stale.size} of ${n} segments`;
  return `note: ${count} ${was} ${why} and ${was} scanned; ${REINDEX_HINT}`;
}

/** Segment ids as a short list: `3, 4, 7` (at most 10, then `…`). */
function idList(ids: readonly number[]): string {
  const shown = ids.slice(0, 10).join(", ");
  return ids.length > 10 ? `${shown}, … (${ids.length})` : shown;
}

/** `--explain`'s lines: per field, the segments whose records were scanned for it, and why. */
export function staleScanLines(reader: IndexReader, stats: NodeStats | undefined): string[] {
  if (!stats || stats.staleScans.size === 0) return [];
  const byId = new Map(reader.segments.map((s) => [s.id, s]));
  const lines: string[] = [];
  for (const [name, ids] of stats.staleScans) {
    const spec = fieldByName(name);
    if (!spec) continue;
    const segments = [...ids].sort((a, b) => a - b).flatMap((id) => byId.get(id) ?? []);
    const absent = segments.filter((s) => staleReason(s, spec) === "absent");
    const older = segments.filter((s) => staleReason(s, spec) === "revision");
    if (absent.length > 0) {
      lines.push(
        `records scanned for ${name} in segments ${idList(absent.map((s) => s.id))}: indexed ` +
          `before the field existed`,
      );
    }
    if (older.length > 0) {
      const revisions = [...new Set(older.map((s) => indexedRevision(s, spec.code)))].join(", ");
      lines.push(
        `records scanned for ${name} in segments ${idList(older.map((s) => s.id))}: indexed ` +
          `with revision ${revisions} of the field, the catalog's is ${spec.revision}`,
      );
    }
  }
  lines.push(`(${REINDEX_HINT})`);
  return lines;
}
