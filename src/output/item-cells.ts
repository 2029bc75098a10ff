// Stage items as table cells (for `table` and `csv`): the column names of an item's kind and its
// cells as text. Records show a summary (time, type, op, path, ip, display_name, error), not the
// whole entry; ndjson and json keep the whole entry. Pure.
import type { FieldRef } from "../query/ast.js";
import { recordFieldValues, valueText } from "../query/field-values.js";
import type { MatchedRecord } from "../query/matched-record.js";
import type { JsonValue, StageOutput } from "../query/stage-output.js";
import { bucketTime } from "./item-json.js";

export const RECORD_COLUMNS = [
  "time",
  "type",
  "op",
  "path",
  "ip",
  "display_name",
  "error",
] as const;
export const PAIR_COLUMNS = ["request_id", "request_time", "response_time", "path", "ip", "error"];

const catalogRef = (name: string): FieldRef => ({ kind: "field", name, catalog: true, offset: 0 });
const RECORD_REFS = RECORD_COLUMNS.map(catalogRef);

/** A value as one cell: nothing for null, a list joined by ", ", strings as is, else JSON. */
export function cellText(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.map((v: JsonValue) => cellText(v)).join(", ");
  return valueText(value);
}

function first(record: MatchedRecord | null, name: string): string {
  if (!record) return "";
  return cellText(recordFieldValues(record, catalogRef(name)));
}

export function itemColumns(item: StageOutput): readonly string[] {
  switch (item.kind) {
    case "record":
      return RECORD_COLUMNS;
    case "pair":
      return PAIR_COLUMNS;
    case "lease":
      return ["lease", "namespace"];
    case "value":
      return [item.field];
    case "row":
      return item.columns;
    case "group":
      return [item.field, "count"];
    case "count":
      return ["count"];
    case "bucket":
      return ["time", "count"];
  }
}

export function itemCells(item: StageOutput): string[] {
  switch (item.kind) {
    case "record":
      return RECORD_REFS.map((f) => cellText(recordFieldValues(item.record, f)));
    case "pair": {
      const either = item.request ?? item.response;
      return [
        item.requestId ?? "",
        first(item.request, "time"),
        first(item.response, "time"),
        first(either, "path"),
        first(either, "ip"),
        first(item.response, "error") || first(item.request, "error"),
      ];
    }
    case "lease":
      return [item.lease, item.namespace ?? ""];
    case "value":
      return [cellText(item.value)];
    case "row":
      return item.values.map(cellText);
    case "group":
      return [cellText(item.value), String(item.count)];
    case "count":
      return [String(item.count)];
    case "bucket":
      return [bucketTime(item.startMs), String(item.count)];
  }
}

/** Columns whose cells are numbers (right-aligned in a table). */
export function numericColumns(item: StageOutput): ReadonlySet<number> {
  switch (item.kind) {
    case "group":
    case "bucket":
      return new Set([1]);
    case "count":
      return new Set([0]);
    default:
      return new Set();
  }
}
