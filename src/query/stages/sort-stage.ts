// `sort F [desc]`: items ordered by their first value of F: `time` as instants (any offset, to
// the nanosecond), numbers (and numeric strings) numerically, other values as text; items without
// F last in either direction; equal keys keep their order (stable). Must see every item before
// emitting the first. Memory: every item.
import { parseInstant } from "../../audit/time-key.js";
import type { FieldRef } from "../ast.js";
import { fieldValues, valueText } from "../field-values.js";
import type { JsonValue, StageOutput } from "../stage-output.js";

const NUMERIC = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/;

type Key =
  | { readonly rank: 0; readonly n: number }
  | { readonly rank: 1; readonly s: number; readonly ns: number }
  | { readonly rank: 2; readonly t: string }
  | { readonly rank: 3 };

function keyOf(value: JsonValue | undefined, isTime: boolean): Key {
  if (value === undefined || value === null) return { rank: 3 };
  if (typeof value === "number") return { rank: 0, n: value };
  if (typeof value === "string") {
    if (isTime) {
      const t = parseInstant(value);
      if (t) return { rank: 1, s: t.seconds, ns: t.nanos };
    }
    if (NUMERIC.test(value)) return { rank: 0, n: Number(value) };
    return { rank: 2, t: value };
  }
  return { rank: 2, t: valueText(value) };
}

function compareKeys(a: Key, b: Key): number {
  if (a.rank !== b.rank) return a.rank - b.rank;
  switch (a.rank) {
    case 0:
      return a.n - (b as typeof a).n;
    case 1:
      return a.s - (b as typeof a).s || a.ns - (b as typeof a).ns;
    case 2: {
      const bt = (b as typeof a).t;
      return a.t < bt ? -1 : a.t > bt ? 1 : 0;
    }
    case 3:
      return 0;
  }
}

export async function* sortStage(
  input: AsyncIterable<StageOutput>,
  field: FieldRef,
  desc: boolean,
): AsyncIterable<StageOutput> {
  const isTime = field.catalog && field.name === "time";
  const keyed: { item: StageOutput; key: Key }[] = [];
  for await (const item of input)
    keyed.push({ item, key: keyOf(fieldValues(item, field)[0], isTime) });
  keyed.sort((a, b) => {
    if (a.key.rank === 3 || b.key.rank === 3) return compareKeys(a.key, b.key);
    const c = compareKeys(a.key, b.key);
    return desc ? -c : c;
  });
  for (const k of keyed) yield k.item;
}
