// `distinct F`: the distinct values of field F, in order of first appearance (a field with several
// values in one entry contributes each). Streams: a value is emitted the moment it is first seen.
// Memory: one Set entry per distinct value.
import type { FieldRef } from "../ast.js";
import { fieldValues, valueKey } from "../field-values.js";
import type { StageOutput } from "../stage-output.js";

export async function* distinctStage(
  input: AsyncIterable<StageOutput>,
  field: FieldRef,
): AsyncIterable<StageOutput> {
  const seen = new Set<string>();
  for await (const item of input) {
    for (const value of fieldValues(item, field)) {
      const key = valueKey(value);
      if (seen.has(key)) continue;
      seen.add(key);
      yield { kind: "value", field: field.name, value };
    }
  }
}
