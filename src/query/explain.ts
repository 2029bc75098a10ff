// `--explain`: the plan as an indented tree, each step with its estimated size (from the term
// dictionaries, before reading any record) and, once run, its actual size and how many entries
// it had to parse.
import { fieldByName } from "../audit/field-catalog.js";
import type { IndexReader } from "../store/index-reader.js";
import { isFieldCurrent } from "../store/segment-catalog.js";
import { assertNever } from "./ast.js";
import type { NodeStats } from "./execute.js";
import type { PlanNode } from "./plan.js";
import { staleScanLines } from "./stale-fields.js";

/** Records the index says hold the node's terms (exact for terms nodes; undefined elsewhere). */
export function estimate(reader: IndexReader, node: PlanNode): number | undefined {
  if (
    (node.kind === "terms" || node.kind === "range" || node.kind === "dict") &&
    reader.segments.some((s) => !isFieldCurrent(s, node.field))
  ) {
    return undefined; // some segments' postings do not answer for the field
  }
  switch (node.kind) {
    case "all":
      return reader.recordCount;
    case "terms": {
      let n = 0;
      for (const segment of reader.segments) {
        reader.scanSortedTerms(node.field.code, segment, node.terms, (_, postings) => {
          n += postings.count();
        });
      }
      return n;
    }
    case "range": {
      let n = 0;
      for (const segment of reader.segments) {
        reader.scanTerms(node.field.code, segment, node.lo, node.hi, (term, postings) => {
          if (!node.keep || node.keep(term)) n += postings.count();
        });
      }
      return n;
    }
    case "dict":
    case "filter":
      return undefined;
    case "and": {
      const parts = node.children
        .map((c) => estimate(reader, c))
        .filter((n): n is number => n !== undefined);
      return parts.length ? Math.min(...parts) : undefined;
    }
    case "or": {
      const parts = node.children.map((c) => estimate(reader, c));
      return parts.every((p) => p !== undefined) ? parts.reduce((a, b) => a! + b!, 0) : undefined;
    }
    case "not":
      return undefined;
    default:
      return assertNever(node);
  }
}

function label(node: PlanNode): string {
  switch (node.kind) {
    case "all":
      return "all entries";
    case "terms":
      return `index lookup ${node.label}${node.recheck ? " (re-checked on entries)" : ""}`;
    case "range":
      return `index range ${node.label}`;
    case "dict":
      return `dictionary scan ${node.label}`;
    case "filter":
      return `entry scan ${node.label}${node.needle ? ` (pre-filtered on ${JSON.stringify(node.needle.toString())})` : ""}`;
    case "and":
      return "and (cheapest first, each on the survivors)";
    case "or":
      return "or";
    case "not":
      return "not";
    default:
      return assertNever(node);
  }
}

/** Whether the plan tests the `time` field (a range, a lookup or a scan of entries). */
export function testsTime(node: PlanNode): boolean {
  switch (node.kind) {
    case "all":
      return false;
    case "terms":
    case "range":
    case "dict":
      return node.field.kind === "time";
    case "filter": {
      const e = node.expr;
      return "field" in e && e.field.catalog && fieldByName(e.field.name)?.kind === "time";
    }
    case "and":
    case "or":
      return node.children.some(testsTime);
    case "not":
      return testsTime(node.child);
    default:
      return assertNever(node);
  }
}

/**
 * When the plan tests `time` and some records have none (missing, or not RFC 3339): a note that
 * they are in no time range, so a responder never takes "not in the range" for "did not happen
 * then". Undefined otherwise.
 */
export function noTimeNote(reader: IndexReader, plan: PlanNode): string | undefined {
  if (!testsTime(plan)) return undefined;
  const noTime = reader.segments.reduce((n, s) => n + s.records - s.timedRecords, 0);
  return noTimeMessage(noTime);
}

/** The note of noTimeNote for `noTime` entries without a time (undefined for none). */
export function noTimeMessage(noTime: number): string | undefined {
  if (noTime === 0) return undefined;
  return (
    `note: ${noTime} entries have no time (missing or not RFC 3339): no time predicate ` +
    "matches them; `not exists time` lists them"
  );
}

export function explainPlan(
  reader: IndexReader,
  plan: PlanNode,
  stats: NodeStats | undefined,
): string {
  const lines: string[] = [`${reader.segments.length} segments, ${reader.recordCount} records`];
  const walk = (node: PlanNode, depth: number): void => {
    const est = estimate(reader, node);
    const actual = stats?.matched.get(node);
    const stale = node.kind === "terms" || node.kind === "range" || node.kind === "dict";
    const parsed = stats?.parsed.get(node) ?? (stale ? stats?.parsed.get(node.stale) : undefined);
    const parts = [`est ${est ?? "?"}`];
    if (actual !== undefined) parts.push(`actual ${actual}`);
    if (parsed) parts.push(`parsed ${parsed}`);
    lines.push(`${"  ".repeat(depth)}${label(node)}  [${parts.join(", ")}]`);
    if (node.kind === "and" || node.kind === "or") node.children.forEach((c) => walk(c, depth + 1));
    if (node.kind === "not") walk(node.child, depth + 1);
  };
  walk(plan, 0);
  const groups = stats?.groupSegments;
  if (groups && stats.leaseColumnSegments > 0) {
    lines.push(
      `first stage answered from the lease column in ${stats.leaseColumnSegments} segments, ` +
        `from the records in ${groups.records}`,
    );
  } else if (groups && groups.dictionary + groups.records > 0) {
    lines.push(
      `first stage answered from the term dictionary in ${groups.dictionary} segments, ` +
        `from the records in ${groups.records}`,
    );
  }
  lines.push(...staleScanLines(reader, stats));
  const note = noTimeNote(reader, plan);
  if (note) lines.push(note);
  return lines.join("\n");
}
