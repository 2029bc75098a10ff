// `fields F1, F2`: one row per matched entry with the values of the named fields (null when the
// entry has none, an array when it has several). Streams; memory O(1).
import type { FieldRef } from "../ast.js";
import { recordFieldValues } from "../field-values.js";
import type { JsonValue, StageOutput } from "../stage-output.js";
import { expectRecord } from "./expect-record.js";

export async function* fieldsStage(
  input: AsyncIterable<StageOutput>,
  fields: readonly FieldRef[],
): AsyncIterable<StageOutput> {
  const columns = fields.map((f) => f.name);
  for await (const item of input) {
    const record = expectRecord(item, "fields");
    const values = fields.map((f): JsonValue => {
      const vs = recordFieldValues(record, f);
      return vs.length === 0 ? null : vs.length === 1 ? vs[0]! : vs;
    });
    yield { kind: "row", columns, values };
  }
}
