// `count`: how many items reached this stage (entries, leases, distinct values, rows…). Emits one
// item at the end. Memory: O(1).
import type { StageOutput } from "../stage-output.js";

export async function* countStage(input: AsyncIterable<StageOutput>): AsyncIterable<StageOutput> {
  let count = 0;
  for await (const _item of input) count++;
  yield { kind: "count", count };
}
