// A query's whole pipeline on an open engine: prepare (parse, resolve, plan), execute, stages.
// `… | count` with nothing before it is answered from posting lists alone (no record is read);
// `… | count by F`, `… | top N F`, `… | distinct F` on an indexed field, `… | leases` and
// `… | timeline` from the term dictionary where it can (dictionary-groups.ts; `… | leases` from
// the lease columns when the backend keeps them: lease-columns.ts), `… | sort time`
// (and `| limit N` after it) from the time dictionary (time-sort.ts), then the stages after them.
import type { Stage } from "./ast.js";
import { NodeStats } from "./execute.js";
import type { Selection } from "./query-backend.js";
import type { PreparedQuery, QueryEngine } from "./query-engine.js";
import type { MatchedRecord } from "./matched-record.js";
import { runStages, runStagesOn } from "./run-stages.js";
import { LEASE, leaseItem } from "./stages/leases-stage.js";
import { isTimeField } from "./stages/sort-stage.js";
import { timelineBuckets } from "./stages/timeline-stage.js";
import type { StageOutput } from "./stage-output.js";

export interface RunQueryOptions {
  /** Stop after this many results (a `limit` stage appended). */
  readonly limit?: number | undefined;
  /** Gather per-step sizes for explain. */
  readonly collectStats?: boolean | undefined;
}

export interface QueryRun {
  readonly prepared: PreparedQuery;
  readonly stages: readonly Stage[];
  readonly items: AsyncIterable<StageOutput>;
  readonly stats: NodeStats | undefined;
}

async function* yielding(records: AsyncIterable<MatchedRecord>): AsyncGenerator<MatchedRecord> {
  let n = 0;
  for await (const r of records) {
    yield r;
    // Let other work (output drain, Ctrl-C) in now and then on long result streams.
    if (++n % 4096 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * The output of the first stage (with `sort`, of a `limit` right after it too: `rest` is what is
 * left of the pipeline) answered from the term dictionaries, or undefined (read records).
 */
function firstStageFromIndex(
  engine: QueryEngine,
  sel: Selection,
  stages: readonly Stage[],
  stats: NodeStats | undefined,
): { items: AsyncIterable<StageOutput>; rest: readonly Stage[] } | undefined {
  const stage = stages[0];
  if (!stage) return undefined;
  if (stage.kind === "sort") {
    if (!isTimeField(stage.field)) return undefined;
    const next = stages[1];
    const limit = next?.kind === "limit" ? next.n : undefined;
    return {
      items: engine.sortByTime(sel, stage.desc, limit, stats),
      rest: stages.slice(limit === undefined ? 1 : 2),
    };
  }
  const items = firstStageItems(engine, sel, stage, stats);
  return items && { items, rest: stages.slice(1) };
}

function firstStageItems(
  engine: QueryEngine,
  sel: Selection,
  stage: Stage,
  stats: NodeStats | undefined,
): AsyncIterable<StageOutput> | undefined {
  switch (stage.kind) {
    case "countBy":
    case "top":
      if (!engine.groupable(sel, stage.field)) return undefined;
      return (async function* () {
        const all = await engine.countGroups(sel, stage.field, stats);
        for (const g of stage.kind === "top" ? all.slice(0, stage.n) : all) {
          yield { kind: "group", field: stage.field.name, value: g.value, count: g.count } as const;
        }
      })();
    case "distinct":
      if (!engine.groupable(sel, stage.field)) return undefined;
      return (async function* () {
        for await (const { text } of engine.distinctFirsts(sel, stage.field, stats)) {
          yield { kind: "value", field: stage.field.name, value: text } as const;
        }
      })();
    case "leases":
      return (
        engine.leaseItems(sel, stats) ??
        (async function* () {
          for await (const { text, record } of engine.distinctFirsts(sel, LEASE, stats)) {
            yield leaseItem(text, record());
          }
        })()
      );
    case "timeline":
      return (async function* () {
        yield* timelineBuckets(await engine.timelinePoints(sel, stats), stage.intervalMs);
      })();
    default:
      return undefined;
  }
}

/**
 * The items of a prepared query's where-clause run through `stages`: the whole pipeline, with the
 * first stage answered from the index where it can. Subqueries run through here too, so a subquery
 * answers exactly what the same query run alone does.
 */
export function runPrepared(
  engine: QueryEngine,
  sel: Selection,
  stages: readonly Stage[],
  stats: NodeStats | undefined,
): AsyncIterable<StageOutput> {
  const countOnly =
    stages[0]?.kind === "count" && stages.slice(1).every((s) => s.kind === "limit" && s.n >= 1);
  if (countOnly) {
    return (async function* () {
      const count = await engine.count(sel, stats);
      yield { kind: "count", count } as const;
    })();
  }
  const fromIndex = firstStageFromIndex(engine, sel, stages, stats);
  if (fromIndex) return runStagesOn(fromIndex.items, fromIndex.rest, engine);
  return runStages(yielding(engine.records(sel, stats)), stages, engine);
}

export async function runQuery(
  engine: QueryEngine,
  text: string,
  opts: RunQueryOptions = {},
): Promise<QueryRun> {
  const prepared = await engine.prepare(text);
  const stats = opts.collectStats ? new NodeStats() : undefined;
  const stages: Stage[] = [...prepared.query.stages];
  if (opts.limit !== undefined) stages.push({ kind: "limit", n: opts.limit, offset: text.length });
  const items = runPrepared(engine, prepared, stages, stats);
  return { prepared, stages, items, stats };
}
