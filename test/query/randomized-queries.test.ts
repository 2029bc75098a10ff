// Hundreds of random queries answer exactly what the query oracle (test/oracle/query-oracle.ts)
// says, on a generated 5 MB log and on the shared corpus of real logs (../shared/corpus, skipped
// with a notice when a clone has none). The queries come from the seeded generator
// (test/oracle/query-generator.ts), each as the oracle's tree and as the text the engine runs.
// Records are compared as ordered lists of original lines (record id order, which is file order).
//
// The same cases run on the local index and on ClickHouse (the two-shard test cluster, loaded by
// `index --backend`'s loader; skipped with a notice when ClickHouse is not installed): both must
// give the oracle's answer, so they give the same one.
//
// A failure names the seed and the query; rerun one with
//   BREAKGLASS_QUERY_SEED=<seed> npx vitest run test/query/randomized-queries.test.ts -t "#<n> "
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { plantedIncidents, writeAuditLog } from "../../src/demo/generate-log.js";
import { openIndex, type QuerySource } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { runQuery } from "../../src/query/run-query.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { hasClickhouse } from "../helpers/clickhouse-cluster.js";
import { clickhouseWith, stopSharedCluster } from "../helpers/clickhouse-backend-for.js";
import {
  answerDifference,
  engineAnswer,
  oracleAnswer,
  oracleEntries,
  type OEntry,
} from "../oracle/query-oracle.js";
import { profileOf, randomCases, type Case } from "../oracle/query-generator.js";
import { scanLogs } from "../oracle/scan-log.js";
import { HAS_CORPUS, corpusLogs, noticeIfNoCorpus } from "../helpers/shared-corpus.js";

const SEED = Number(process.env.BREAKGLASS_QUERY_SEED ?? 20261123);
const QUERY_COUNT = 360;
const SALT = "randomized-queries-salt";

noticeIfNoCorpus("randomized-queries");

const tempDir = tempDirs("bg-random-queries-");

// ---------------------------------------------------------------------------------------------
// The data: files, and the oracle's entries (read now: the queries are drawn from them).

const GENERATED_LOG = path.join(tempDir(), "audit.log");
const GENERATE = { seed: SEED, targetBytes: 5 << 20, salt: SALT };
await writeAuditLog(GENERATED_LOG, GENERATE);
/** Plaintexts whose HMAC the generated log holds (for `hash()`), and some it does not. */
const PLAINTEXTS = [plantedIncidents(GENERATE)!.leakedPassword, "password", "root"];
const CORPUS_FILES = corpusLogs();
const GENERATED_ENTRIES = oracleEntries(scanLogs([GENERATED_LOG]));
const CORPUS_ENTRIES = HAS_CORPUS ? oracleEntries(scanLogs(CORPUS_FILES)) : [];

const GENERATED_PROFILE = profileOf("generated", GENERATED_ENTRIES);
const CORPUS_PROFILE = HAS_CORPUS ? profileOf("corpus", CORPUS_ENTRIES) : undefined;
const CASES: Case[] = randomCases(
  SEED,
  QUERY_COUNT,
  [GENERATED_PROFILE, ...(CORPUS_PROFILE ? [CORPUS_PROFILE] : [])],
  PLAINTEXTS,
);

// ---------------------------------------------------------------------------------------------
// The tests.

async function check(index: QuerySource, entries: readonly OEntry[], c: Case): Promise<void> {
  const expected = oracleAnswer(c.query, entries, { salt: SALT });
  let actual;
  try {
    actual = await engineAnswer((await runQuery(index.engine, c.text)).items);
  } catch (err) {
    throw new Error(`seed ${SEED} query #${c.n} failed: ${c.text}\n${(err as Error).message}`);
  }
  const diff = answerDifference(expected, actual);
  expect(
    diff,
    `seed ${SEED} query #${c.n} (values from the ${c.drawnFrom} log): ${c.text}`,
  ).toBeUndefined();
}

async function openLocal(files: string[]): Promise<QuerySource> {
  const db = path.join(tempDir(), "db");
  await indexFiles(db, files, { workers: 2 });
  return openIndex(db, { salt: SALT });
}

const openClickhouse = (files: string[]): Promise<QuerySource> =>
  clickhouseWith(files, { salt: SALT });

/** The cases on an index of `files`: the generator matches something (a `minShare` of the
 * queries match some but not all entries), and every answer is the oracle's. */
function randomQueriesOn(
  files: string[],
  entries: readonly OEntry[],
  minShare: number,
  open: (files: string[]) => Promise<QuerySource> = openLocal,
): void {
  let index: QuerySource;
  beforeAll(async () => {
    index = await open(files);
  }, 120_000);
  afterAll(async () => {
    await index?.close();
  });

  test("the generator is not vacuous: many queries match, and not everything", () => {
    const sizes = CASES.map(
      (c) => oracleAnswer({ where: c.query.where, stages: [] }, entries, { salt: SALT }).length,
    );
    const some = sizes.filter((s) => s > 0 && s < entries.length).length;
    expect(some).toBeGreaterThan(QUERY_COUNT * minShare);
  });

  test.each(CASES)("$label", async (c) => {
    await check(index, entries, c);
  });
}

describe(`${QUERY_COUNT} random queries (seed ${SEED}) on a generated 5 MB log`, () =>
  randomQueriesOn([GENERATED_LOG], GENERATED_ENTRIES, 1 / 3));

describe.skipIf(!HAS_CORPUS)(
  `${QUERY_COUNT} random queries (seed ${SEED}) on the shared corpus`,
  () => randomQueriesOn(CORPUS_FILES, CORPUS_ENTRIES, 1 / 4),
);

const CLICKHOUSE = hasClickhouse();
afterAll(stopSharedCluster);

describe.skipIf(!CLICKHOUSE)(
  `${QUERY_COUNT} random queries (seed ${SEED}) on a generated 5 MB log in a two-shard ClickHouse`,
  () => randomQueriesOn([GENERATED_LOG], GENERATED_ENTRIES, 1 / 3, openClickhouse),
);

describe.skipIf(!HAS_CORPUS || !CLICKHOUSE)(
  `${QUERY_COUNT} random queries (seed ${SEED}) on the shared corpus in a two-shard ClickHouse`,
  () => randomQueriesOn(CORPUS_FILES, CORPUS_ENTRIES, 1 / 4, openClickhouse),
);
