// Every framing gives the same answers as the plain log it wraps: a plain log (the demo
// generator's, with its planted incidents; the shared corpus; and entries over 16 KiB) is written
// again in each framing (syslog RFC 3164 with and without <PRI>, rsyslog's high-precision form,
// RFC 5424, Docker json-file, CRI, journald, JSONx), both are indexed (in small chunks, so Docker
// and CRI parts straddle chunk ends), and the same queries must return the same answers: SPEC's
// examples and scenarios (test/oracle/spec-queries.ts), the randomized query set
// (test/oracle/query-generator.ts) drawn from the same entries, and queries that read records back
// (sort, dotted paths, subqueries). Records are compared as their entries (JSONx writes keys in
// another order), everything else exactly. The plain log's own answers are checked against the
// oracle by the spec-examples and randomized-queries tests.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { plantedIncidents, writeAuditLog } from "../../../src/demo/generate-log.js";
import { openIndex } from "../../../src/index-api.js";
import { recordJson } from "../../../src/audit/framing/record-json.js";
import type { InputMode } from "../../../src/audit/framing/input-mode.js";
import { indexFiles } from "../../../src/ingest/index-files.js";
import { runQuery } from "../../../src/query/run-query.js";
import { jsonxLine } from "../../helpers/jsonx-encode.js";
import { corpusLogs, noticeIfNoCorpus } from "../../helpers/shared-corpus.js";
import { tempDirs } from "../../helpers/temp-dir.js";
import { oracleEntries } from "../../oracle/query-oracle.js";
import { profileOf, randomCases } from "../../oracle/query-generator.js";
import { scanLogs } from "../../oracle/scan-log.js";
import {
  CORPUS_FLAVOUR,
  generatedFlavour,
  SCENARIOS,
  SPEC_EXAMPLES,
} from "../../oracle/spec-queries.js";

noticeIfNoCorpus("framed-logs");

const newTempDir = tempDirs("bg-framings-");
const DIR = newTempDir();
/** Docker's and CRI's split size. */
const PART_BYTES = 16 << 10;
/** Chunks: small for Docker and CRI, so a record's parts cross chunk ends (the default is 16 MiB). */
const CHUNK_BYTES = 1 << 20;
const PARTS_CHUNK_BYTES = 128 << 10;
/** Generous: the machine may be shared (these are limits, not timings under test). */
const TIMEOUT_MS = 600_000;
const SALT = "framings-salt";
/** The spec examples' generator options (their planted values), on a smaller log. */
const GENERATED = { seed: 20261120, targetBytes: 1 << 20, salt: SALT };
const PLAINTEXTS = [plantedIncidents(GENERATED)!.leakedPassword, "password", "root"];
const RANDOM_SEED = 20261129;
const RANDOM_QUERIES = 100;

/** Queries that read records back: a sort, a dotted path (scan workers), a subquery's values. */
const READ_BACK = [
  "type = response | count",
  'path ^= "secret/" | fields time, ip, display_name',
  'path ^= "secret/" | sort time desc | limit 20',
  'request.operation = "update" | count by path',
  "request_id in (op = update | distinct request_id) | count",
  "request.data.blob ^= xxxx | count by display_name",
];

/** A big entry: a request whose data holds `bytes` of text (Docker and CRI split it). */
function bigEntry(i: number, bytes: number): string {
  return JSON.stringify({
    time: `2026-11-29T10:00:0${i}.000000Z`,
    type: "request",
    auth: { display_name: `big-${i}`, policies: ["default"] },
    request: {
      id: `big-request-${i}`,
      operation: "update",
      path: `secret/data/big/${i}`,
      remote_address: `10.9.9.${i}`,
      data: { blob: "x".repeat(bytes), quote: 'a "quoted" <&> value\nover two lines' },
    },
  });
}

function plainLines(): string[] {
  const lines: string[] = [];
  for (const f of [path.join(DIR, "generated.log"), ...corpusLogs()]) {
    for (const l of readFileSync(f, "utf8").split("\n")) if (l.trim() !== "") lines.push(l);
  }
  lines.splice(3, 0, bigEntry(1, 40_000), bigEntry(2, PART_BYTES - 20));
  lines.push(bigEntry(3, 3 * PART_BYTES));
  return lines;
}

function chunks(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += PART_BYTES) out.push(text.slice(i, i + PART_BYTES));
  return out;
}

type Frame = (line: string, i: number) => string;

const syslog =
  (...headers: string[]): Frame =>
  (line, i) =>
    headers[i % headers.length] + line;

/** Each framing: how a line is written in it, and the framing the summary names. */
const FRAMINGS: Record<string, { frame: Frame; framing: string; input: InputMode }> = {
  "syslog RFC 3164 with <PRI>": {
    frame: syslog(
      "<13>Nov 29 10:00:00 vault-0 vault[1234]: ",
      "<86>Nov  9 10:00:00 vault-0 vault: ",
    ),
    framing: "syslog",
    input: "syslog",
  },
  "syslog RFC 3164 without <PRI>": {
    frame: syslog("Nov 29 10:00:00 vault-0 vault[1234]: ", "Nov  9 10:00:00 vault-0 vault: "),
    framing: "syslog",
    input: "syslog",
  },
  "syslog, rsyslog high precision": {
    frame: syslog("2026-11-29T10:00:00.123456+00:00 vault-0 vault[77]: "),
    framing: "syslog",
    input: "syslog",
  },
  "syslog RFC 5424": {
    frame: syslog(
      "<165>1 2026-11-29T10:00:00.123Z vault-0 vault 1234 - - ",
      '<165>1 2026-11-29T10:00:00.123Z vault-0 vault - ID47 [meta a="b\\"]"] ',
    ),
    framing: "syslog",
    input: "syslog",
  },
  docker: {
    frame: (line) =>
      chunks(line + "\n")
        .map((log) => JSON.stringify({ log, stream: "stdout", time: "2026-11-29T10:00:00.1Z" }))
        .join("\n"),
    framing: "docker",
    input: "docker",
  },
  cri: {
    frame: (line) => {
      const parts = chunks(line);
      return parts
        .map(
          (p, j) =>
            `2026-11-29T10:00:00.123456789Z stdout ${j < parts.length - 1 ? "P" : "F"} ${p}`,
        )
        .join("\n");
    },
    framing: "cri",
    input: "cri",
  },
  journal: {
    frame: (line) =>
      JSON.stringify({
        __CURSOR: "s=1;i=2",
        __REALTIME_TIMESTAMP: "1764410400000000",
        _SYSTEMD_UNIT: "vault.service",
        MESSAGE: line,
      }),
    framing: "journal",
    input: "auto",
  },
  jsonx: { frame: (line) => jsonxLine(line), framing: "jsonx", input: "jsonx" },
};

/** An entry as comparable text: its JSON with keys sorted (JSONx writes them sorted). */
function canonical(json: string): string {
  return JSON.stringify(JSON.parse(json), (_k, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

type Answers = { records: number; answers: Record<string, string[]> };

async function answersOf(db: string, queries: readonly string[]): Promise<Answers> {
  const index = openIndex(db, { salt: SALT });
  try {
    const answers: Record<string, string[]> = {};
    for (const q of queries) {
      const items: string[] = [];
      for await (const item of (await runQuery(index.engine, q)).items) {
        items.push(
          item.kind === "record"
            ? canonical(recordJson(Buffer.from(item.record.line)).toString("utf8"))
            : JSON.stringify(item),
        );
      }
      answers[q] = items;
    }
    return { records: index.recordCount, answers };
  } finally {
    await index.close();
  }
}

let lines: string[] = [];
let queries: string[] = [];
let plain: Answers;

beforeAll(async () => {
  await writeAuditLog(path.join(DIR, "generated.log"), GENERATED);
  lines = plainLines();
  const file = path.join(DIR, "plain.log");
  writeFileSync(file, lines.join("\n") + "\n");
  const entries = oracleEntries(scanLogs([file]));
  const random = randomCases(
    RANDOM_SEED,
    RANDOM_QUERIES,
    [profileOf("framed", entries)],
    PLAINTEXTS,
  );
  const spec = [...SPEC_EXAMPLES, ...SCENARIOS, ...generatedFlavour(plantedIncidents(GENERATED)!)];
  queries = [
    ...new Set([
      ...READ_BACK,
      ...[...spec, ...CORPUS_FLAVOUR].map(([text]) => text),
      ...random.map((c) => c.text),
    ]),
  ];
  const db = path.join(DIR, "plain-db");
  await indexFiles(db, [file], { workers: 1, chunkBytes: CHUNK_BYTES });
  plain = await answersOf(db, queries);
}, TIMEOUT_MS);

describe("a framed log answers as the plain log it wraps", () => {
  test("the plain log has answers to compare: most queries match some records, not all", () => {
    expect(plain.records).toBe(lines.length);
    const counts = Object.values(plain.answers).map((a) => a.length);
    expect(counts.filter((n) => n > 0).length).toBeGreaterThan(queries.length / 3);
    expect(queries.length).toBeGreaterThan(RANDOM_QUERIES);
  });

  test("entries over 16 KiB are split into parts in the Docker and CRI logs", () => {
    const big = lines.find((l) => l.includes("big-request-3"))!;
    expect(FRAMINGS.docker!.frame(big, 0).split("\n").length).toBeGreaterThan(3);
    expect(FRAMINGS.cri!.frame(big, 0).split("\n").length).toBeGreaterThan(3);
  });

  test.each(Object.keys(FRAMINGS))(
    "%s, detected",
    async (name) => {
      const { frame, framing } = FRAMINGS[name]!;
      const file = path.join(DIR, `${name}.log`);
      writeFileSync(file, lines.map((l, i) => frame(l, i)).join("\n") + "\n");
      const db = path.join(DIR, `${name}-db`);
      const parts = framing === "docker" || framing === "cri";
      const chunkBytes = parts ? PARTS_CHUNK_BYTES : CHUNK_BYTES;
      const summary = await indexFiles(db, [file], { workers: 1, chunkBytes });
      expect(summary).toMatchObject({ records: lines.length, badLines: 0, skippedLines: 0 });
      expect(summary.framings).toEqual([framing]);
      const framed = await answersOf(db, queries);
      for (const q of queries) expect(framed.answers[q], q).toEqual(plain.answers[q]);
      expect(framed.records).toBe(plain.records);
    },
    TIMEOUT_MS,
  );

  test.each(Object.keys(FRAMINGS).filter((n) => FRAMINGS[n]!.input !== "auto"))(
    "%s, forced with --input",
    async (name) => {
      const { frame, input } = FRAMINGS[name]!;
      const some = lines.slice(0, 200);
      const file = path.join(DIR, `forced-${name}.log`);
      writeFileSync(file, some.map((l, i) => frame(l, i)).join("\n") + "\n");
      const db = path.join(DIR, `forced-${name}-db`);
      const summary = await indexFiles(db, [file], { workers: 1, chunkBytes: 64 << 10, input });
      expect(summary).toMatchObject({ records: some.length, badLines: 0 });
    },
    TIMEOUT_MS,
  );

  test.each([
    ["cri", 3],
    ["jsonx", 4],
  ])("a %s record stores the framed lines as written", async (name, at) => {
    const file = path.join(DIR, `${name}-stored.log`);
    const framed = FRAMINGS[name]!.frame(lines[at]!, 0);
    writeFileSync(file, framed + "\n");
    const db = path.join(DIR, `${name}-stored-db`);
    await indexFiles(db, [file], { workers: 1 });
    const index = openIndex(db);
    try {
      expect(index.line(0).toString("utf8")).toBe(framed);
      expect(canonical(recordJson(index.line(0)).toString("utf8"))).toBe(canonical(lines[at]!));
    } finally {
      await index.close();
    }
  });
});
