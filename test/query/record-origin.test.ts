// Fields `source` and `device` come from where a record was indexed (the file, the --device
// label), not from the entry: two generated logs indexed as two devices into one index, and every
// query on them (index lookups, dictionary groups, entry tests) checked against the oracle, which
// notes each entry's file and label beside it (test/oracle/scan-log.ts).
import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { writeAuditLog } from "../../src/demo/generate-log.js";
import { openIndex, type BreakglassIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { runQuery } from "../../src/query/run-query.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  and,
  answerDifference,
  cmp,
  engineAnswer,
  exists,
  not,
  oracleAnswer,
  oracleEntries,
  quoted,
  type OEntry,
  type OQuery,
} from "../oracle/query-oracle.js";
import { scanLogs } from "../oracle/scan-log.js";

const SALT = "origin-salt";
const tempDir = tempDirs("bg-origin-");

let index: BreakglassIndex;
let entries: OEntry[];
let fileA: string;
let fileB: string;
let sharedIp: string;

beforeAll(async () => {
  const dir = tempDir();
  fileA = path.join(dir, "node-a", "audit.log");
  fileB = path.join(dir, "node-b", "audit.log");
  mkdirSync(path.dirname(fileA));
  mkdirSync(path.dirname(fileB));
  await writeAuditLog(fileA, { seed: 1, targetBytes: 300_000, salt: SALT });
  await writeAuditLog(fileB, { seed: 2, targetBytes: 200_000, salt: SALT });
  const db = path.join(dir, "db");
  // 64 KiB chunks: several segments per file.
  await indexFiles(db, [fileA], { workers: 2, chunkBytes: 64 << 10, device: "a" });
  await indexFiles(db, [fileB], { workers: 2, chunkBytes: 64 << 10, device: "b" });
  const scanA = scanLogs([fileA], { device: "a" });
  const scanned = [...scanA.records, ...scanLogs([fileB], { device: "b" }).records];
  entries = oracleEntries({ ...scanA, records: scanned });
  index = openIndex(db, { salt: SALT });
  // An address both devices saw, so `device = b and ip = X` must leave a's records out.
  const ipsOf = (dev: string) =>
    new Set(
      entries
        .filter((e) => e.line && (e.entry as { request?: { remote_address?: string } }).request)
        .filter((e) => scanned[e.id]!.device === dev)
        .map((e) => (e.entry as { request: { remote_address?: string } }).request.remote_address)
        .filter((ip): ip is string => typeof ip === "string" && !ip.includes(":")),
    );
  const inA = ipsOf("a");
  sharedIp = [...ipsOf("b")].find((ip) => inA.has(ip))!;
  expect(sharedIp).toBeDefined();
}, 120_000);
afterAll(() => index?.close());

async function expectOracle(oq: OQuery, text: string): Promise<void> {
  const expected = oracleAnswer(oq, entries, { salt: SALT });
  const actual = await engineAnswer((await runQuery(index.engine, text)).items);
  const diff = answerDifference(expected, actual);
  expect(diff, `${text}\n${diff}`).toBeUndefined();
}

const ALL = { kind: "all" } as const;

describe("fields source and device", () => {
  test("`* | count by device` shows both devices side by side", async () => {
    await expectOracle(
      { where: ALL, stages: [{ kind: "countBy", field: "device" }] },
      "* | count by device",
    );
    const r = await runQuery(index.engine, "* | count by device");
    const groups = (await engineAnswer(r.items)).length;
    expect(groups).toBe(2);
  });

  test("`* | count by source` names each file", async () => {
    await expectOracle(
      { where: ALL, stages: [{ kind: "countBy", field: "source" }] },
      "* | count by source",
    );
  });

  test("`device = b and ip = X` picks one device's records of an address both saw", async () => {
    const q = and(cmp("device", "=", "b"), cmp("ip", "=", sharedIp));
    await expectOracle({ where: q, stages: [] }, `device = b and ip = ${sharedIp}`);
    await expectOracle(
      { where: q, stages: [{ kind: "count" }] },
      `device = b and ip = ${sharedIp} | count`,
    );
    const both = await engineAnswer(
      (await runQuery(index.engine, `ip = ${sharedIp} | count by device`)).items,
    );
    expect(both.length).toBe(2);
  });

  test.each([
    ["device != a", { where: not(cmp("device", "=", "a")), stages: [{ kind: "count" }] }],
    ['device ~ "^b$"', { where: cmp("device", "~", quoted("^b$")), stages: [{ kind: "count" }] }],
    ["exists device", { where: exists("device"), stages: [{ kind: "count" }] }],
  ] as const)("%s agrees with the oracle", async (text, oq) => {
    await expectOracle(oq as OQuery, `${text} | count`);
  });

  test("a prefix of the source path, and a dotted-path filter beside device (an entry test)", async () => {
    const dirB = path.dirname(fileB);
    await expectOracle(
      { where: cmp("source", "^=", quoted(dirB)), stages: [{ kind: "count" }] },
      `source ^= ${JSON.stringify(dirB)} | count`,
    );
    const q = and(cmp("device", "=", "a"), cmp("request.operation", "=", "read"));
    await expectOracle(
      { where: q, stages: [{ kind: "count" }] },
      "device = a and request.operation = read | count",
    );
  });

  test("`fields device, source` shows each record's origin", async () => {
    await expectOracle(
      {
        where: cmp("device", "=", "b"),
        stages: [{ kind: "fields", fields: ["device", "source", "path"] }],
      },
      "device = b | fields device, source, path",
    );
  });
});
