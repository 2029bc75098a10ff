// Runs a query's stages over the executor's record stream: each stage is an async generator over
// the previous one, so the pipeline streams wherever the stage allows (leases, distinct, fields,
// limit, pair emit as they go; count, count by, top, sort, timeline must see everything first),
// and a `limit` that is satisfied closes everything upstream, which stops the index scan. A `sort`
// followed by a `limit` runs as one step that keeps only the first N.
// The pipeline is assumed checked by parseQuery (check-pipeline.ts); this module never looks at
// the store except through StageContext.
import { assertNever, type Stage } from "./ast.js";
import type { MatchedRecord, StageContext } from "./matched-record.js";
import type { StageOutput } from "./stage-output.js";
import { countByStage } from "./stages/count-by-stage.js";
import { countStage } from "./stages/count-stage.js";
import { distinctStage } from "./stages/distinct-stage.js";
import { fieldsStage } from "./stages/fields-stage.js";
import { leasesStage } from "./stages/leases-stage.js";
import { limitStage } from "./stages/limit-stage.js";
import { pairStage } from "./stages/pair-stage.js";
import { sortStage } from "./stages/sort-stage.js";
import { timelineStage } from "./stages/timeline-stage.js";
import { topStage } from "./stages/top-stage.js";

async function* asItems(records: AsyncIterable<MatchedRecord>): AsyncIterable<StageOutput> {
  for await (const record of records) yield { kind: "record", record };
}

function runStage(
  input: AsyncIterable<StageOutput>,
  stage: Stage,
  ctx: StageContext,
): AsyncIterable<StageOutput> {
  switch (stage.kind) {
    case "leases":
      return leasesStage(input);
    case "distinct":
      return distinctStage(input, stage.field);
    case "count":
      return countStage(input);
    case "countBy":
      return countByStage(input, stage.field);
    case "top":
      return topStage(input, stage.n, stage.field);
    case "fields":
      return fieldsStage(input, stage.fields);
    case "sort":
      return sortStage(input, stage.field, stage.desc, ctx);
    case "limit":
      return limitStage(input, stage.n);
    case "timeline":
      return timelineStage(input, stage.intervalMs);
    case "pair":
      return pairStage(input, ctx);
    default:
      return assertNever(stage);
  }
}

/** The items a pipeline produces from the matched records (the records themselves when no stage). */
export function runStages(
  records: AsyncIterable<MatchedRecord>,
  stages: readonly Stage[],
  ctx: StageContext,
): AsyncIterable<StageOutput> {
  return runStagesOn(asItems(records), stages, ctx);
}

/** The rest of a pipeline, on items an earlier step produced (the dictionary's groups). */
export function runStagesOn(
  input: AsyncIterable<StageOutput>,
  stages: readonly Stage[],
  ctx: StageContext,
): AsyncIterable<StageOutput> {
  let items = input;
  for (let i = 0; i < stages.length; i++) {
    const stage = stages[i]!;
    const next = stages[i + 1];
    if (stage.kind === "sort" && next?.kind === "limit") {
      // Only the first N are wanted: a bounded heap rather than a sort of everything.
      items = sortStage(items, stage.field, stage.desc, ctx, next.n);
      i++;
    } else {
      items = runStage(items, stage, ctx);
    }
  }
  return items;
}
