// The values of a field in a stage item: for a record, read from its audit entry (catalog fields
// through the catalog's paths, dotted paths as written); for rows, values and groups, the column
// of that name. IP values print as the bare address (port stripped, IPv4-mapped shown as IPv4);
// a record's values come each once.
// Parses the record's entry (cached by MatchedRecord); everything else is cheap.
import { catalogFieldValues, valuesAtPath } from "../audit/audit-entry.js";
import { fieldByName } from "../audit/field-catalog.js";
import { ipKey, ipKeyText } from "../audit/ip-key.js";
import type { FieldRef } from "./ast.js";
import type { MatchedRecord } from "./matched-record.js";
import type { JsonValue, StageOutput } from "./stage-output.js";

/** An address as users want to read it: `10.0.0.5:5696` → `10.0.0.5`, `[::1]:443` → `::1`. */
export function addressText(text: string): string {
  const key = ipKey(text);
  return key ? ipKeyText(key) : text;
}

/** The values in order, each once (`policy` is often in both policies and token_policies). */
function once(values: JsonValue[]): JsonValue[] {
  if (values.length < 2) return values;
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = valueKey(v);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Every value of `field` in a record's entry (several for lists, XFF headers, multi-path fields),
 * each once, in entry order.
 */
export function recordFieldValues(record: MatchedRecord, field: FieldRef): JsonValue[] {
  const entry = record.entry();
  const spec = field.catalog ? fieldByName(field.name) : undefined;
  if (spec) {
    const texts = catalogFieldValues(entry, spec);
    return once(spec.kind === "ip" ? texts.map(addressText) : texts);
  }
  return once(valuesAtPath(entry, field.name) as JsonValue[]);
}

function spread(value: JsonValue | undefined): JsonValue[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? (value as JsonValue[]) : [value];
}

/** The values of `field` in any stage item (empty when the item has no such field). */
export function fieldValues(item: StageOutput, field: FieldRef): JsonValue[] {
  switch (item.kind) {
    case "record":
      return recordFieldValues(item.record, field);
    case "pair": {
      const record = item.request ?? item.response;
      return record ? recordFieldValues(record, field) : [];
    }
    case "row":
      return spread(item.values[item.columns.indexOf(field.name)]);
    case "value":
    case "group":
      return item.field === field.name ? spread(item.value) : [];
    case "lease":
      return field.name === "lease" ? [item.lease] : [];
    case "count":
    case "bucket":
      return [];
  }
}

/** A value as one line of text: strings as they are, anything else as JSON. */
export function valueText(value: JsonValue): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A key that tells values apart (the string "5" and the number 5 are different values). */
export function valueKey(value: JsonValue): string {
  return typeof value === "string" ? value : "\u0000" + JSON.stringify(value);
}
