// A query's whole pipeline on an open engine: prepare (parse, resolve, plan), execute, stages.
// `… | count` with nothing before it is answered from posting lists alone (no record is read);
// `… | count by F`, `… | top N F`, `… | distinct F` on an indexed field, `… | leases` and
// `… | timeline` from the term dictionary where it can (dictionary-groups.ts), then the stages
// after them.
import type { Stage } from "./ast.js";
import { dictionaryGroupable } from "./dictionary-groups.js";
import { NodeStats, type PreparedQuery, type QueryEngine } from "./query-engine.js";
import type { MatchedRecord } from "./matched-record.js";
import { runStages, runStagesOn } from "./run-stages.js";
import { LEASE, leaseItem } from "./stages/leases-stage.js";
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

export async function runQuery(
  engine: QueryEngine,
  text: string,
  opts: RunQueryOptions = {},
): Promise<QueryRun> {
  const prepared = await engine.prepare(text);
  const stats = opts.collectStats ? new NodeStats() : undefined;
  const stages: Stage[] = [...prepared.query.stages];
  if (opts.limit !== undefined) stages.push({ kind: "limit", n: opts.limit, offset: text.length });
  let items: AsyncIterable<StageOutput>;
  const countOnly =
    stages[0]?.kind === "count" && stages.slice(1).every((s) => s.kind === "limit" && s.n >= 1);
  const first = stages[0];
  if (countOnly) {
    items = (async function* () {
      const count = await engine.count(prepared.plan, stats);
      yield { kind: "count", count } as const;
    })();
  } else if (
    (first?.kind === "countBy" || first?.kind === "top") &&
    dictionaryGroupable(first.field)
  ) {
    const groups = (async function* () {
      const all = await engine.countGroups(prepared.plan, first.field, stats);
      for (const g of first.kind === "top" ? all.slice(0, first.n) : all) {
        yield { kind: "group", field: first.field.name, value: g.value, count: g.count } as const;
      }
    })();
    items = runStagesOn(groups, stages.slice(1), engine);
  } else if (first?.kind === "distinct" && dictionaryGroupable(first.field)) {
    const values = (async function* () {
      for await (const value of engine.distinctValues(prepared.plan, first.field, stats)) {
        yield { kind: "value", field: first.field.name, value } as const;
      }
    })();
    items = runStagesOn(values, stages.slice(1), engine);
  } else if (first?.kind === "leases") {
    const leases = (async function* () {
      for await (const { text, record } of engine.distinctFirsts(prepared.plan, LEASE, stats)) {
        yield leaseItem(text, record);
      }
    })();
    items = runStagesOn(leases, stages.slice(1), engine);
  } else if (first?.kind === "timeline") {
    const buckets = (async function* () {
      yield* timelineBuckets(await engine.timelinePoints(prepared.plan, stats), first.intervalMs);
    })();
    items = runStagesOn(buckets, stages.slice(1), engine);
  } else {
    items = runStages(yielding(engine.records(prepared.plan, stats)), stages, engine);
  }
  return { prepared, stages, items, stats };
}
