// `top N F`: the N most frequent values of F with their counts (`count by F`, cut at N). Emits at
// the end. Memory: one entry per distinct value (all must be counted before the top is known).
import type { FieldRef } from "../ast.js";
import type { StageOutput } from "../stage-output.js";
import { countGroups } from "./count-by-stage.js";

export async function* topStage(
  input: AsyncIterable<StageOutput>,
  n: number,
  field: FieldRef,
): AsyncIterable<StageOutput> {
  const groups = await countGroups(input, field);
  for (const g of groups.slice(0, n)) {
    yield { kind: "group", field: field.name, value: g.value, count: g.count };
  }
}
