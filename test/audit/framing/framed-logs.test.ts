// Every framing gives the same answers as the plain log it wraps: a plain log (the demo
// generator's, the shared corpus, and entries over 16 KiB) is written again in each framing,
// both are indexed (in small chunks, so Docker and CRI parts straddle chunk ends), and the same
// queries must return the same entries (compared as their unwrapped JSON).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { writeAuditLog } from "../../../src/demo/generate-log.js";
import { openIndex } from "../../../src/index-api.js";
import { recordJson } from "../../../src/audit/framing/record-json.js";
import { indexFiles } from "../../../src/ingest/index-files.js";
import { runQuery } from "../../../src/query/run-query.js";
import { corpusLogs } from "../../helpers/shared-corpus.js";
import { tempDirs } from "../../helpers/temp-dir.js";

const newTempDir = tempDirs("bg-framings-");
const DIR = newTempDir();
const tempDir = (): string => DIR;
/** Docker's and CRI's split size. */
const PART_BYTES = 16 << 10;
/** Small chunks, so a record's parts cross chunk ends (the default is 16 MiB). */
const CHUNK_BYTES = 64 << 10;

const QUERIES = [
  "type = response | count",
  "ip in 10.0.0.0/8 and op = read | count by path",
  'path ^= "secret/" | fields time, ip, display_name',
  "op = delete | count by ip",
  "type = request | count by op",
  "ip = 10.103.9.43 | leases",
  'error ~ "permission" | count by path',
  "mount_type = kv",
  // Paths that read records back: a sort, a dotted path (scan workers), a subquery's values.
  'path ^= "secret/" | sort time desc | limit 20',
  'request.operation = "update" | count by path',
  "request_id in (op = update | distinct request_id) | count",
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
      data: { blob: "x".repeat(bytes), quote: 'a "quoted" <&> value' },
    },
  });
}

function plainLines(): string[] {
  const lines: string[] = [];
  for (const f of [path.join(tempDir(), "generated.log"), ...corpusLogs()]) {
    for (const l of readFileSync(f, "utf8").split("\n")) if (l.trim() !== "") lines.push(l);
  }
  lines.splice(3, 0, bigEntry(1, 40_000), bigEntry(2, PART_BYTES - 20));
  lines.push(bigEntry(3, 3 * PART_BYTES));
  return lines;
}

const SYSLOG_HEADERS = [
  "<13>Nov 29 10:00:00 vault-0 vault[1234]: ",
  "Nov  9 10:00:00 vault-0 vault: ",
  "2026-11-29T10:00:00.123456+00:00 vault-0 vault[77]: ",
  "<165>1 2026-11-29T10:00:00.123Z vault-0 vault 1234 - - ",
  '<165>1 2026-11-29T10:00:00.123Z vault-0 vault - ID47 [meta a="b\\"]"] ',
];

function chunks(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += PART_BYTES) out.push(text.slice(i, i + PART_BYTES));
  return out;
}

const FRAMINGS: Record<string, (line: string, i: number) => string> = {
  syslog: (line, i) => SYSLOG_HEADERS[i % SYSLOG_HEADERS.length] + line,
  docker: (line) =>
    chunks(line + "\n")
      .map((log) => JSON.stringify({ log, stream: "stdout", time: "2026-11-29T10:00:00.1Z" }))
      .join("\n"),
  cri: (line) => {
    const parts = chunks(line);
    return parts
      .map(
        (p, j) => `2026-11-29T10:00:00.123456789Z stdout ${j < parts.length - 1 ? "P" : "F"} ${p}`,
      )
      .join("\n");
  },
  journal: (line) =>
    JSON.stringify({
      __CURSOR: "s=1;i=2",
      __REALTIME_TIMESTAMP: "1764410400000000",
      _SYSTEMD_UNIT: "vault.service",
      MESSAGE: line,
    }),
};

async function answers(db: string): Promise<{ records: number; answers: string[][] }> {
  const index = openIndex(db);
  try {
    const out: string[][] = [];
    for (const q of QUERIES) {
      const items: string[] = [];
      for await (const item of (await runQuery(index.engine, q)).items) {
        items.push(
          item.kind === "record"
            ? recordJson(Buffer.from(item.record.line)).toString("utf8")
            : JSON.stringify(item),
        );
      }
      out.push(items);
    }
    return { records: index.recordCount, answers: out };
  } finally {
    await index.close();
  }
}

let lines: string[] = [];
let plain: { records: number; answers: string[][] };

beforeAll(async () => {
  await writeAuditLog(path.join(tempDir(), "generated.log"), {
    seed: 7,
    targetBytes: 1 << 20,
    salt: "framings",
  });
  lines = plainLines();
  const file = path.join(tempDir(), "plain.log");
  writeFileSync(file, lines.join("\n") + "\n");
  const db = path.join(tempDir(), "plain-db");
  await indexFiles(db, [file], { workers: 1, chunkBytes: CHUNK_BYTES });
  plain = await answers(db);
}, 120_000);

describe("a framed log answers as the plain log it wraps", () => {
  test("the plain log has answers to compare", () => {
    expect(plain.records).toBe(lines.length);
    expect(plain.answers.filter((a) => a.length > 0).length).toBeGreaterThan(4);
  });

  test.each(Object.keys(FRAMINGS))("%s", async (name) => {
    const frame = FRAMINGS[name]!;
    const file = path.join(tempDir(), `${name}.log`);
    writeFileSync(file, lines.map((l, i) => frame(l, i)).join("\n") + "\n");
    const db = path.join(tempDir(), `${name}-db`);
    const summary = await indexFiles(db, [file], { workers: 1, chunkBytes: CHUNK_BYTES });
    expect(summary).toMatchObject({ records: lines.length, badLines: 0, skippedLines: 0 });
    expect(summary.framings).toEqual([name]);
    expect(await answers(db)).toEqual(plain);
  });

  test.each([
    ["syslog", "syslog"],
    ["docker", "docker"],
    ["cri", "cri"],
  ])("--input %s reads its framing", async (name, input) => {
    const frame = FRAMINGS[name]!;
    const file = path.join(tempDir(), `forced-${name}.log`);
    writeFileSync(file, lines.map((l, i) => frame(l, i)).join("\n") + "\n");
    const db = path.join(tempDir(), `forced-${name}-db`);
    const summary = await indexFiles(db, [file], {
      workers: 1,
      chunkBytes: CHUNK_BYTES,
      input: input as "syslog" | "docker" | "cri",
    });
    expect(summary).toMatchObject({ records: lines.length, badLines: 0 });
  });

  test("a record stores the framed lines as written", async () => {
    const file = path.join(tempDir(), "cri-stored.log");
    const framed = FRAMINGS.cri!(lines[3]!, 0);
    writeFileSync(file, framed + "\n");
    const db = path.join(tempDir(), "cri-stored-db");
    await indexFiles(db, [file], { workers: 1 });
    const index = openIndex(db);
    try {
      expect(index.line(0).toString("utf8")).toBe(framed);
      expect(recordJson(index.line(0)).toString("utf8")).toBe(lines[3]);
    } finally {
      await index.close();
    }
  });
});
