// `… | leases` from the lease columns (what serve keeps across requests) answers exactly what the
// one-shot path (term dictionary and records) and an independent JSON.parse oracle answer: the
// same leases, in the same order, with the same namespaces. On a generated log spread over many
// segments with hand-written entries among its lines (two leases in one entry, the root
// namespace written three ways, a namespace path literally `root`, non-string paths, a lease seen
// again in another namespace), on an index whose older segments lack the `lease` postings (those
// are read, the others use their columns), and on the shared corpus of real audit logs.
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fieldByName } from "../../src/audit/field-catalog.js";
import { writeAuditLog, type PlantedIncidents } from "../../src/demo/generate-log.js";
import { openIndex, type BreakglassIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { LeaseColumns } from "../../src/query/lease-columns.js";
import { LocalBackend } from "../../src/query/local-backend.js";
import { QueryEngine } from "../../src/query/query-engine.js";
import { runQuery } from "../../src/query/run-query.js";
import { isFieldCurrent } from "../../src/store/segment-catalog.js";
import { dropFields } from "../helpers/age-index.js";
import { localReader } from "../helpers/local-reader.js";
import { corpusLogs, HAS_CORPUS, noticeIfNoCorpus } from "../helpers/shared-corpus.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  answerDifference,
  cmp,
  engineAnswer,
  inCidr,
  oracleAnswer,
  oracleEntries,
  quoted,
  type OEntry,
  type OQuery,
} from "../oracle/query-oracle.js";
import { scanLogs } from "../oracle/scan-log.js";

const SALT = "lease-column-salt";
const LEASE = fieldByName("lease")!;
const CRAFTED_IP = "10.77.0.9";
const tempDir = tempDirs("bg-lease-column-");
noticeIfNoCorpus("lease-column");

/** Entries whose leases and namespaces the postings alone could get wrong. */
function craftedLines(startMs: number, tag: string): string[] {
  const shapes: { lease: unknown; namespace?: unknown }[] = [
    { lease: [`lease/${tag}/b-2`, `lease/${tag}/a-1`], namespace: { id: "nsb", path: "team-b/" } },
    { lease: `lease/${tag}/root-id`, namespace: { id: "root" } },
    { lease: `lease/${tag}/root-empty-path`, namespace: { id: "root", path: "" } },
    { lease: `lease/${tag}/root-literal`, namespace: { id: "root", path: "root" } },
    { lease: `lease/${tag}/number-path`, namespace: { id: "n5", path: 5 } },
    { lease: `lease/${tag}/array-path`, namespace: { id: "arr", path: [{}, "team-d/"] } },
    { lease: `lease/${tag}/a-1`, namespace: { id: "nsc", path: "team-c/" } },
    { lease: `lease/${tag}/no-namespace` },
    { lease: [`lease/${tag}/c-3`, `lease/${tag}/c-3`, `lease/${tag}/b-2`] },
  ];
  return shapes.map(({ lease, namespace }, i) =>
    JSON.stringify({
      time: new Date(startMs + i * 10).toISOString(),
      type: "response",
      request: {
        id: `crafted-${tag}-${i}`,
        operation: "read",
        path: "database/creds/app",
        remote_address: CRAFTED_IP,
        ...(namespace === undefined ? {} : { namespace }),
      },
      response: { secret: { lease_id: lease } },
    }),
  );
}

/** A generated log with crafted entries at its start, in its middle and at its end. */
async function writeLog(dir: string): Promise<{ log: string; planted: PlantedIncidents }> {
  const generated = path.join(dir, "generated.log");
  const planted = (await writeAuditLog(generated, { seed: 12, targetBytes: 600_000, salt: SALT }))
    .planted!;
  const lines = readFileSync(generated, "utf8").trimEnd().split("\n");
  const start = Date.parse(JSON.parse(lines[0]!).time as string);
  const mid = lines.length >> 1;
  const all = [
    ...craftedLines(start, "first"),
    ...lines.slice(0, mid),
    ...craftedLines(start + 1000, "middle"),
    ...lines.slice(mid),
    ...craftedLines(start + 2000, "last"),
  ];
  const log = path.join(dir, "audit.log");
  writeFileSync(log, all.join("\n") + "\n");
  return { log, planted };
}

/** The engine of a long-running process on the same reader: `leases` from lease columns. */
function columnEngine(index: BreakglassIndex, columns: LeaseColumns): QueryEngine {
  return new QueryEngine(new LocalBackend(localReader(index), undefined, columns), async () => {
    throw new Error("no hash() in these tests");
  });
}

const LEASES: OQuery["stages"] = [{ kind: "leases" }];

function cases(planted: PlantedIncidents): [string, OQuery][] {
  return [
    ["* | leases", { where: { kind: "all" }, stages: LEASES }],
    [`ip = ${CRAFTED_IP} | leases`, { where: cmp("ip", "=", CRAFTED_IP), stages: LEASES }],
    [
      `ip = ${planted.compromisedIp} | leases`,
      { where: cmp("ip", "=", planted.compromisedIp), stages: LEASES },
    ],
    ["ip in 10.0.0.0/8 | leases", { where: inCidr("ip", "10.0.0.0/8"), stages: LEASES }],
    [
      'namespace = "team-a/" | leases',
      { where: cmp("namespace", "=", quoted("team-a/")), stages: LEASES },
    ],
    ["namespace = root | leases", { where: cmp("namespace", "=", "root"), stages: LEASES }],
    [
      "* | leases | limit 7",
      { where: { kind: "all" }, stages: [{ kind: "leases" }, { kind: "limit", n: 7 }] },
    ],
  ];
}

interface Setup {
  readonly index: BreakglassIndex;
  readonly entries: OEntry[];
  readonly planted: PlantedIncidents;
}

let fresh: Setup;
let aged: Setup;
let agedIds: number[];

afterAll(async () => {
  await fresh?.index.close();
  await aged?.index.close();
});

beforeAll(async () => {
  const dir = tempDir();
  const { log, planted } = await writeLog(dir);
  const entries = oracleEntries(scanLogs([log]));
  const freshDb = tempDir();
  const agedDb = tempDir();
  // Small chunks: many segments, so the crafted entries land in several of them.
  await indexFiles(freshDb, [log], { workers: 2, chunkBytes: 64 << 10 });
  for (const f of readdirSync(freshDb)) copyFileSync(path.join(freshDb, f), path.join(agedDb, f));
  // Every other segment, the last included, "indexed before the lease field existed".
  const count = await segmentCount(freshDb);
  agedIds = await dropFields(agedDb, [LEASE.code], (_s, i) => i % 2 === 0 || i === count - 1);
  fresh = { index: openIndex(freshDb, { salt: SALT }), entries, planted };
  aged = { index: openIndex(agedDb, { salt: SALT }), entries, planted };
}, 120_000);

/** `text` answers as the oracle says, both one-shot (records read) and from lease columns. */
async function expectOracleAnswers(
  index: BreakglassIndex,
  engine: QueryEngine,
  entries: readonly OEntry[],
  text: string,
  oq: OQuery,
): Promise<void> {
  const expected = oracleAnswer(oq, entries, { salt: SALT });
  expect(expected.length, text).toBeGreaterThan(0);
  const oneShot = await engineAnswer((await runQuery(index.engine, text)).items);
  const fromColumns = await engineAnswer((await runQuery(engine, text)).items);
  expect(answerDifference(expected, oneShot), `one-shot: ${text}`).toBeUndefined();
  expect(answerDifference(expected, fromColumns), `columns: ${text}`).toBeUndefined();
}

async function segmentCount(db: string): Promise<number> {
  const index = openIndex(db);
  try {
    return localReader(index).segments.length;
  } finally {
    await index.close();
  }
}

describe.each([
  ["an index whose segments are all current", () => fresh],
  ["an index whose older segments lack the lease postings", () => aged],
])("`leases` from lease columns on %s", (_name, setup) => {
  test("the crafted entries are spread over several segments", () => {
    const { index, entries } = setup();
    const reader = localReader(index);
    const crafted = entries.filter((e) => e.line.includes('"crafted-')).map((e) => e.id);
    const segments = new Set(crafted.map((id) => reader.segmentOf(id)!.id));
    expect(segments.size).toBeGreaterThanOrEqual(3);
    expect(reader.segments.length).toBeGreaterThan(6);
  });

  test("answers as the one-shot path and the oracle, in order, with the same namespaces", async () => {
    const { index, entries, planted } = setup();
    const columns = new LeaseColumns();
    const engine = columnEngine(index, columns);
    for (const [text, oq] of cases(planted)) {
      await expectOracleAnswers(index, engine, entries, text, oq);
    }
    // Asked again, from the columns already built: the same answers.
    expect(columns.size).toBeGreaterThan(0);
    const built = columns.size;
    for (const [text, oq] of cases(planted)) {
      const expected = oracleAnswer(oq, entries, { salt: SALT });
      const again = await engineAnswer((await runQuery(engine, text)).items);
      expect(answerDifference(expected, again), `again: ${text}`).toBeUndefined();
    }
    expect(columns.size).toBe(built);
  });

  test("the crafted entries' leases keep their record's namespace, as written", async () => {
    const { index } = setup();
    const engine = columnEngine(index, new LeaseColumns());
    const items = await engineAnswer((await runQuery(engine, `ip = ${CRAFTED_IP} | leases`)).items);
    const first = items.filter((i) => i.kind === "lease" && i.lease.startsWith("lease/first/"));
    expect(first).toEqual([
      { kind: "lease", lease: "lease/first/b-2", namespace: "team-b/" },
      { kind: "lease", lease: "lease/first/a-1", namespace: "team-b/" },
      { kind: "lease", lease: "lease/first/root-id", namespace: null },
      { kind: "lease", lease: "lease/first/root-empty-path", namespace: null },
      { kind: "lease", lease: "lease/first/root-literal", namespace: "root" },
      { kind: "lease", lease: "lease/first/number-path", namespace: null },
      { kind: "lease", lease: "lease/first/array-path", namespace: null },
      { kind: "lease", lease: "lease/first/no-namespace", namespace: null },
      { kind: "lease", lease: "lease/first/c-3", namespace: null },
    ]);
  });
});

describe("which segments use a column", () => {
  test("every current segment with matches, and no stale one: --explain says so", async () => {
    for (const [setup, stale] of [
      [fresh, 0],
      [aged, agedIds.length],
    ] as const) {
      const reader = localReader(setup.index);
      const columns = new LeaseColumns();
      const engine = columnEngine(setup.index, columns);
      const run = await runQuery(engine, "* | leases", { collectStats: true });
      for await (const _ of run.items);
      const current = reader.segments.filter((s) => isFieldCurrent(s, LEASE)).length;
      expect(columns.size).toBe(current);
      expect(current).toBe(reader.segments.length - stale);
      const plan = await engine.explain(run.prepared, run.stats);
      expect(plan).toContain(
        `first stage answered from the lease column in ${current} segments, from the records in ${stale}`,
      );
    }
  });

  test("a one-shot engine keeps the term dictionary path", async () => {
    const run = await runQuery(fresh.index.engine, "* | leases", { collectStats: true });
    for await (const _ of run.items);
    const plan = await fresh.index.engine.explain(run.prepared, run.stats);
    expect(plan).toContain("first stage answered from the term dictionary");
    expect(plan).not.toContain("lease column");
  });

  test("retain forgets the columns of segments that are gone", async () => {
    const reader = localReader(fresh.index);
    const columns = new LeaseColumns();
    for await (const _ of (await runQuery(columnEngine(fresh.index, columns), "* | leases")).items);
    expect(columns.size).toBe(reader.segments.length);
    columns.retain(reader.segments.slice(2));
    expect(columns.size).toBe(reader.segments.length - 2);
  });
});

describe.skipIf(!HAS_CORPUS)("`leases` from lease columns on the corpus", () => {
  test("answers as the one-shot path and the oracle", async () => {
    const logs = corpusLogs();
    const db = tempDir();
    await indexFiles(db, logs, { workers: 2, chunkBytes: 16 << 10 });
    const entries = oracleEntries(scanLogs(logs));
    const index = openIndex(db, { salt: SALT });
    try {
      const engine = columnEngine(index, new LeaseColumns());
      const queries: [string, OQuery][] = [
        ["* | leases", { where: { kind: "all" }, stages: LEASES }],
        ["type = response | leases", { where: cmp("type", "=", "response"), stages: LEASES }],
      ];
      for (const [text, oq] of queries) {
        await expectOracleAnswers(index, engine, entries, text, oq);
      }
    } finally {
      await index.close();
    }
  }, 120_000);
});
