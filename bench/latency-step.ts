// How long does a query take inside a process that already has the index open? The library's
// openIndex once, then runQuery for each of many real values (sampled from the log), every
// result consumed (records with their original lines), timed one by one. A warm-up round first,
// so the JIT and the page cache are warm for what is measured.
import { openIndex } from "../src/index-api.js";
import { runQuery } from "../src/query/run-query.js";
import type { QueryEngine } from "../src/query/query-engine.js";
import { BENCH_SALT } from "./bench-data.js";
import { CIDR } from "./baselines-step.js";
import type { SampledValues } from "./sample-values.js";

export interface LatencySeries {
  readonly name: string;
  /** One query of the series as text, for the report. */
  readonly example: string;
  readonly samplesMs: readonly number[];
  /** Time to the first result of each query (results stream: what a user waits before output). */
  readonly firstMs: readonly number[];
  /** How many records each query produced (for `count`, the count). */
  readonly resultCounts: readonly number[];
  readonly distinctValues: number;
}

/** Queries per series run unmeasured first (JIT, page cache, lmdb's read txn). */
const WARMUP_QUERIES = 20;

/**
 * Runs a query to its end, from `t0`; returns how many records it produced (or the count it
 * printed) and when the first result came.
 */
async function runOnce(
  engine: QueryEngine,
  text: string,
  t0: number,
): Promise<{ n: number; firstMs: number }> {
  const run = await runQuery(engine, text);
  let items = 0;
  let bytes = 0;
  let firstMs = NaN;
  for await (const item of run.items) {
    if (items === 0) firstMs = performance.now() - t0;
    if (item.kind === "count") return { n: item.count, firstMs };
    items++;
    if (item.kind === "record") bytes += item.record.line.length;
  }
  // `bytes` keeps the line fetch from being optimised away; nothing reads it.
  return { n: bytes >= 0 ? items : -1, firstMs };
}

async function series(
  engine: QueryEngine,
  name: string,
  texts: readonly string[],
  iterations: number,
): Promise<LatencySeries> {
  for (let i = 0; i < Math.min(WARMUP_QUERIES, iterations); i++) {
    await runOnce(engine, texts[(iterations - 1 - i) % texts.length]!, performance.now());
  }
  const samplesMs: number[] = [];
  const firstMs: number[] = [];
  const resultCounts: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const text = texts[i % texts.length]!;
    const t0 = performance.now();
    const run = await runOnce(engine, text, t0);
    samplesMs.push(performance.now() - t0);
    firstMs.push(run.firstMs);
    resultCounts.push(run.n);
  }
  return {
    name,
    example: texts[0] ?? "",
    samplesMs,
    firstMs,
    resultCounts,
    distinctValues: new Set(texts).size,
  };
}

export async function measureLatency(
  db: string,
  values: SampledValues,
  iterations: number,
): Promise<LatencySeries[]> {
  const index = openIndex(db, { salt: BENCH_SALT });
  try {
    const q = JSON.stringify;
    const out: LatencySeries[] = [];
    const kinds: [string, readonly string[]][] = [
      ["ip = X", values.ip.map((v) => `ip = ${q(v)}`)],
      ["hmac = X", values.hmac.map((v) => `hmac = ${q(v)}`)],
      ["lease = X", values.lease.map((v) => `lease = ${q(v)}`)],
      ["request_id = X", values.requestId.map((v) => `request_id = ${q(v)}`)],
      [`ip in ${CIDR} | count`, [`ip in ${CIDR} | count`]],
    ];
    for (const [name, texts] of kinds) {
      if (texts.length === 0) throw new Error(`no values sampled for ${name}`);
      process.stderr.write(`  ${name} ×${iterations} …\n`);
      out.push(await series(index.engine, name, texts, iterations));
    }
    return out;
  } finally {
    await index.close();
  }
}
