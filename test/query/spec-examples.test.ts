// Every query SPEC.md shows ("Examples that must work" and the scenario table, listed in
// test/oracle/spec-queries.ts) answers what the query oracle (test/oracle/query-oracle.ts) says
// it must: on a generated 5 MB log with planted incidents, and on the shared corpus of real logs
// (../shared/corpus, skipped with a notice when a clone has none). Each example is written twice,
// as SPEC's text and as the oracle's tree; the tree printed must be SPEC's text, so the two cannot
// drift apart. Leases and distinct values are
// compared as ordered lists, counts and count-by tables exactly, records as their original lines
// in record id order. On the generated log the answers must also be the planted facts.
// The same examples run on a two-shard ClickHouse loaded with the same logs (skipped with a notice
// when ClickHouse is not installed): its answers equal the local index's and the oracle's.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  plantedIncidents,
  writeAuditLog,
  type PlantedIncidents,
} from "../../src/demo/generate-log.js";
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
  queryText,
  type OEntry,
  type OItem,
  type OQuery,
} from "../oracle/query-oracle.js";
import {
  CORPUS_FLAVOUR,
  generatedFlavour,
  SCENARIOS,
  SPEC_EXAMPLES,
} from "../oracle/spec-queries.js";
import { scanLogs } from "../oracle/scan-log.js";
import { HAS_CORPUS, corpusLogs, noticeIfNoCorpus } from "../helpers/shared-corpus.js";

noticeIfNoCorpus("spec-examples");

const SALT = "spec-examples-salt";
const GENERATED = { seed: 20261120, targetBytes: 5 << 20, salt: SALT };
const PLANTED: PlantedIncidents = plantedIncidents(GENERATED)!;

const tempDir = tempDirs("bg-spec-examples-");

interface Dataset {
  entries: OEntry[];
  index: QuerySource;
}

async function indexed(files: string[]): Promise<Dataset> {
  const db = path.join(tempDir(), "db");
  const summary = await indexFiles(db, files, { workers: 2 });
  expect(summary.badLines).toBe(0);
  return { entries: oracleEntries(scanLogs(files)), index: openIndex(db, { salt: SALT }) };
}

async function answers(ds: Dataset, q: OQuery): Promise<{ expected: OItem[]; actual: OItem[] }> {
  const run = await runQuery(ds.index.engine, queryText(q));
  return {
    expected: oracleAnswer(q, ds.entries, { salt: SALT }),
    actual: await engineAnswer(run.items),
  };
}

const GENERATED_FLAVOUR = generatedFlavour(PLANTED);

const SPEC_QUERIES = [...SPEC_EXAMPLES, ...SCENARIOS];

describe("the oracle's trees are SPEC's queries", () => {
  test.each([...SPEC_QUERIES, ...GENERATED_FLAVOUR, ...CORPUS_FLAVOUR])("%s", (text, q) => {
    expect(queryText(q)).toBe(text);
  });
});

describe("SPEC's examples on a generated 5 MB log with planted incidents", () => {
  let ds: Dataset;
  let written: PlantedIncidents;

  beforeAll(async () => {
    const log = path.join(tempDir(), "audit.log");
    written = (await writeAuditLog(log, GENERATED)).planted!;
    ds = await indexed([log]);
  });
  afterAll(async () => {
    await ds?.index.close();
  });

  test.each([...SPEC_QUERIES, ...GENERATED_FLAVOUR])(
    "%s answers as the oracle says",
    async (text, q) => {
      const { expected, actual } = await answers(ds, q);
      expect(answerDifference(expected, actual), text).toBeUndefined();
    },
  );

  test("the compromised host's leases are the ones planted, in the order they were issued", async () => {
    const { expected, actual } = await answers(ds, SPEC_EXAMPLES[0]![1]);
    expect(written.compromisedIpLeases).toHaveLength(4);
    expect(expected.map((x) => (x.kind === "lease" ? x.lease : x))).toEqual(
      written.compromisedIpLeases,
    );
    expect(actual).toEqual(expected);
  });

  test("the leaked password's HMAC leads to the one lease that returned it", async () => {
    const { expected, actual } = await answers(ds, GENERATED_FLAVOUR[0]![1]);
    expect(expected).toEqual([
      { kind: "lease", lease: PLANTED.leakedPasswordLease, namespace: null },
    ]);
    expect(actual).toEqual(expected);
  });

  test("the failed unwraps of the stolen wrapping token are found, from the legitimate app", async () => {
    const { expected, actual } = await answers(ds, SPEC_EXAMPLES[6]![1]);
    const planted = expected.filter(
      (x) => x.kind === "record" && x.line.includes(PLANTED.stolenWrappingTokenHmac),
    );
    expect(planted.length).toBe(3);
    expect(
      planted.every((x) => x.kind === "record" && x.line.includes(PLANTED.failedUnwrapIp)),
    ).toBe(true);
    expect(actual).toEqual(expected);
  });

  test("the examples are not vacuous here: most of them match something", async () => {
    const nonEmpty = SPEC_QUERIES.filter(
      ([, q]) => oracleAnswer(q, ds.entries, { salt: SALT }).length > 0,
    ).map(([text]) => text);
    expect(nonEmpty).toEqual([
      "ip = 10.103.9.43 | leases",
      "ip in 10.103.0.0/16 and op = read | count by path",
      "role = app1role and time >= 2018-08-28T00:00:00Z",
      "token in (ip = 10.103.9.43 | distinct token) | leases",
      'path = "sys/wrapping/unwrap" and error ~ "not valid"',
    ]);
  });
});

describe.skipIf(!HAS_CORPUS)("SPEC's examples on the shared corpus of real audit logs", () => {
  let ds: Dataset;

  beforeAll(async () => {
    const files = corpusLogs();
    ds = await indexed(files);
  });
  afterAll(async () => {
    await ds?.index.close();
  });

  test.each([...SPEC_QUERIES, ...CORPUS_FLAVOUR])(
    "%s answers as the oracle says",
    async (text, q) => {
      const { expected, actual } = await answers(ds, q);
      expect(answerDifference(expected, actual), text).toBeUndefined();
    },
  );

  test("the corpus questions are not vacuous: each matches something", () => {
    const empty = CORPUS_FLAVOUR.filter(
      ([, q]) => oracleAnswer(q, ds.entries, { salt: SALT }).length === 0,
    ).map(([text]) => text);
    expect(empty).toEqual([]);
  });
});

describe.skipIf(!hasClickhouse())(
  "SPEC's examples on a two-shard ClickHouse, beside the local index",
  () => {
    const sets: { name: string; files: () => Promise<string[]>; queries: [string, OQuery][] }[] = [
      {
        name: "generated",
        files: async () => {
          const log = path.join(tempDir(), "audit.log");
          await writeAuditLog(log, GENERATED);
          return [log];
        },
        queries: [...SPEC_QUERIES, ...GENERATED_FLAVOUR],
      },
      ...(HAS_CORPUS
        ? [
            {
              name: "corpus",
              files: async () => corpusLogs(),
              queries: [...SPEC_QUERIES, ...CORPUS_FLAVOUR],
            },
          ]
        : []),
    ];
    const local = new Map<string, Dataset>();
    const onClickhouse = new Map<string, Dataset>();

    beforeAll(async () => {
      for (const set of sets) {
        const files = await set.files();
        const ds = await indexed(files);
        local.set(set.name, ds);
        onClickhouse.set(set.name, {
          entries: ds.entries,
          index: await clickhouseWith(files, { salt: SALT }),
        });
      }
    }, 120_000);
    afterAll(async () => {
      for (const ds of [...local.values(), ...onClickhouse.values()]) await ds.index.close();
      await stopSharedCluster();
    });

    test.each(sets.flatMap((set) => set.queries.map(([text, q]) => [set.name, text, q] as const)))(
      "%s log: %s answers on ClickHouse exactly as on the local index and as the oracle says",
      async (name, text, q) => {
        const onLocal = await answers(local.get(name)!, q);
        const onCh = await answers(onClickhouse.get(name)!, q);
        expect(onCh.actual, text).toEqual(onLocal.actual);
        expect(answerDifference(onCh.expected, onCh.actual), text).toBeUndefined();
      },
    );
  },
);
