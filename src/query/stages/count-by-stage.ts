// `count by F`: how many items have each value of F, largest count first, ties by value. An item
// with several values of F counts once for each distinct one; items without F are not counted
// (like `stats count by` elsewhere). Emits at the end. Memory: one entry per distinct value.
import type { FieldRef } from "../ast.js";
import { fieldValues, valueKey, valueText } from "../field-values.js";
import type { JsonValue, StageOutput } from "../stage-output.js";

export interface Group {
  readonly value: JsonValue;
  readonly text: string;
  count: number;
}

/** Largest count first, ties in ascending value order (the order `count by` prints). */
export function sortGroups(groups: Iterable<Group>): Group[] {
  return [...groups].sort(
    (a, b) => b.count - a.count || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0),
  );
}

/** Counts one item's values into `groups` (by value key): each distinct value once. */
export function countItemValues(groups: Map<string, Group>, values: readonly JsonValue[]): void {
  const seen = values.length > 1 ? new Set<string>() : undefined;
  for (const value of values) {
    const key = valueKey(value);
    if (seen) {
      if (seen.has(key)) continue;
      seen.add(key);
    }
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { value, text: valueText(value), count: 1 });
  }
}

/** Every value of `field` with its count, largest first, ties in ascending value order. */
export async function countGroups(
  input: AsyncIterable<StageOutput>,
  field: FieldRef,
): Promise<Group[]> {
  const groups = new Map<string, Group>();
  for await (const item of input) countItemValues(groups, fieldValues(item, field));
  return sortGroups(groups.values());
}

export async function* countByStage(
  input: AsyncIterable<StageOutput>,
  field: FieldRef,
): AsyncIterable<StageOutput> {
  for (const g of await countGroups(input, field)) {
    yield { kind: "group", field: field.name, value: g.value, count: g.count };
  }
}
