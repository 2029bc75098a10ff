// The record inside a stage item, for stages that read audit entries only. parseQuery
// (check-pipeline.ts) never lets another item reach them, so anything else is a bug.
import type { MatchedRecord } from "../matched-record.js";
import type { StageOutput } from "../stage-output.js";

export function expectRecord(item: StageOutput, stage: string): MatchedRecord {
  if (item.kind !== "record") {
    throw new Error(
      `\`${stage}\` got a ${item.kind} item (check-pipeline.ts should have refused this)`,
    );
  }
  return item.record;
}
