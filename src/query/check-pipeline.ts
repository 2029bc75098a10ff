// Which stage may follow which: each stage turns one kind of stream into another (records into
// leases, values, rows, groups…), and a stage that cannot read what comes before it is a
// QueryError at parse time, not a surprise at run time. run-stages.ts implements exactly the
// combinations allowed here. Pure; linear in the number of stages.
import { QueryError } from "../errors.js";
import type { Stage } from "./ast.js";

/** What flows between stages. */
export type Flow =
  "records" | "pairs" | "leases" | "values" | "rows" | "groups" | "count" | "buckets";

const FLOW_WORDS: Readonly<Record<Flow, string>> = {
  records: "audit entries",
  pairs: "request/response pairs",
  leases: "lease ids",
  values: "values",
  rows: "rows",
  groups: "counts by value",
  count: "a count",
  buckets: "a timeline",
};

/** The field names a flow's items carry (for `sort F`, `distinct F`, `count by F` after a stage). */
function columnsOf(stage: Stage | undefined): readonly string[] {
  if (!stage) return [];
  switch (stage.kind) {
    case "fields":
      return stage.fields.map((f) => f.name);
    case "distinct":
    case "countBy":
    case "top":
      return [stage.field.name];
    default:
      return [];
  }
}

/** The flow out of `stage` given the flow into it, or undefined when the stage cannot read it. */
function next(stage: Stage, flow: Flow, columns: readonly string[]): Flow | undefined {
  const hasColumn = (name: string): boolean => columns.includes(name);
  switch (stage.kind) {
    case "limit":
      return flow === "count" || flow === "buckets" ? undefined : flow;
    case "count":
      return flow === "count" || flow === "buckets" ? undefined : "count";
    case "leases":
      return flow === "records" ? "leases" : undefined;
    case "pair":
      return flow === "records" ? "pairs" : undefined;
    case "timeline":
      return flow === "records" ? "buckets" : undefined;
    case "fields":
      return flow === "records" ? "rows" : undefined;
    case "distinct":
      if (flow === "records") return "values";
      return (flow === "rows" || flow === "values") && hasColumn(stage.field.name)
        ? "values"
        : undefined;
    case "countBy":
    case "top":
      if (flow === "records") return "groups";
      return flow === "rows" && hasColumn(stage.field.name) ? "groups" : undefined;
    case "sort":
      if (flow === "records") return "records";
      return (flow === "rows" || flow === "values" || flow === "groups") &&
        hasColumn(stage.field.name)
        ? flow
        : undefined;
  }
}

function stageWord(stage: Stage): string {
  return stage.kind === "countBy" ? "count by" : stage.kind;
}

/** The flow a pipeline ends in; throws a QueryError at the first stage that cannot follow. */
export function checkPipeline(stages: readonly Stage[], query: string): Flow {
  let flow: Flow = "records";
  let previous: Stage | undefined;
  let columns: readonly string[] = [];
  for (const stage of stages) {
    const out = next(stage, flow, columns);
    if (out === undefined) {
      const reads =
        "field" in stage &&
        flow !== "records" &&
        flow !== "pairs" &&
        flow !== "leases" &&
        flow !== "count"
          ? ` (it reads \`${stage.field.name}\`, which the ${FLOW_WORDS[flow]} before it do not have)`
          : "";
      throw new QueryError(
        flow === "count" || flow === "buckets"
          ? `nothing can follow \`${stageWord(previous!)}\``
          : `\`${stageWord(stage)}\` cannot follow \`${stageWord(previous!)}\`, which yields ${FLOW_WORDS[flow]}${reads}`,
        query,
        stage.offset,
      );
    }
    if (stage.kind !== "limit" && stage.kind !== "sort") columns = columnsOf(stage);
    flow = out;
    previous = stage;
  }
  return flow;
}
