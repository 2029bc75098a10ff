// Loading into real ClickHouse servers (Debian's 18.16 here): one server and a two-shard cluster
// get exactly the local index's records, byte for byte and in its order, with the catalog's
// values in the field columns; a rerun adds nothing; a load that died (progress behind its rows,
// or kill -9 of the real bin) is completed by the next one with no duplicate; the password never
// shows; an unreachable server, a newer schema and the wrong layout are clear errors (exit 3).
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { catalogFieldValues, kindValue } from "../../../src/audit/audit-entry.js";
import { FIELDS } from "../../../src/audit/field-catalog.js";
import { recordJsonText } from "../../../src/audit/framing/record-json.js";
import { ipKey } from "../../../src/audit/ip-key.js";
import { parseClickhouseUrl, type ClickhouseTarget } from "../../../src/backend/backend-url.js";
import { loadIntoClickhouse } from "../../../src/backend/clickhouse/clickhouse-loader.js";
import { columnOf } from "../../../src/backend/clickhouse/clickhouse-schema.js";
import { timeNanos } from "../../../src/backend/clickhouse/entry-rows.js";
import { writeAuditLog } from "../../../src/demo/generate-log.js";
import { openIndex } from "../../../src/index-api.js";
import { indexFiles } from "../../../src/ingest/index-files.js";
import {
  CLICKHOUSE_TEST_PASSWORD,
  CLICKHOUSE_TEST_USER,
  hasClickhouse,
  startClickhouseCluster,
  type ClickhouseCluster,
} from "../../helpers/clickhouse-cluster.js";
import { finishBin, runBin, startBin } from "../../helpers/run-bin.js";
import { corpusLogs, noticeIfNoCorpus } from "../../helpers/shared-corpus.js";
import { tempDirs } from "../../helpers/temp-dir.js";

const tempDir = tempDirs("bg-clickhouse-load-");
const PASSWORD_ENV = { CLICKHOUSE_PASSWORD: CLICKHOUSE_TEST_PASSWORD };
noticeIfNoCorpus("clickhouse-loader");

let databases = 0;
function freshDatabase(): string {
  return `bg_test_${process.pid}_${++databases}`;
}

/** A generated log of about `bytes`, plus a few bad lines in the middle. */
async function generatedLog(bytes: number, seed: number): Promise<string> {
  const log = path.join(tempDir(), `audit-${seed}.log`);
  await writeAuditLog(log, { seed, targetBytes: bytes, salt: "salt" });
  const lines = readFileSync(log, "utf8").split("\n");
  lines.splice(7, 0, '{"type":"request","request":{"path":"half', "not json at all", "");
  writeFileSync(log, lines.join("\n"));
  return log;
}

function distinct<T>(values: readonly T[]): T[] {
  return [...new Set(values)].sort();
}

interface Local {
  lines: Buffer[];
  bad: string[];
}

/** The local index of the same files: its records in order, and its bad lines. */
async function localIndex(files: readonly string[]): Promise<Local> {
  const db = tempDir();
  await indexFiles(db, files, { workers: 2 });
  const index = openIndex(db);
  try {
    const stats = index.stats({ badLines: true });
    const lines = Array.from({ length: stats.records }, (_, id) => Buffer.from(index.line(id)));
    const bad = stats.badLineList.map((b) => `${b.file}:${b.line}: ${b.reason}`).sort();
    return { lines, bad };
  } finally {
    await index.close();
  }
}

describe.skipIf(!hasClickhouse())("index --backend clickhouse://", () => {
  let cluster: ClickhouseCluster;
  beforeAll(async () => {
    cluster = await startClickhouseCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  function target(db: string, onCluster: boolean): ClickhouseTarget {
    return parseClickhouseUrl(cluster.url(db, { cluster: onCluster }), PASSWORD_ENV);
  }

  async function loadedLines(db: string, server = 0): Promise<Buffer[]> {
    const hex = await cluster.sql(
      `SELECT hex(line) FROM ${db}.breakglass_entries ORDER BY ord FORMAT TabSeparated`,
      server,
    );
    return hex
      .split("\n")
      .filter((l) => l !== "")
      .map((h) => Buffer.from(h, "hex"));
  }

  async function loadedBad(db: string): Promise<string[]> {
    const rows = await cluster.sql(
      `SELECT f.path, b.line, b.reason FROM ${db}.breakglass_bad_lines AS b ` +
        `GLOBAL ANY INNER JOIN (SELECT id AS file_id, argMax(path, version) AS path FROM ${db}.breakglass_files GROUP BY id) AS f ` +
        `USING file_id FORMAT JSONEachRow`,
    );
    return rows
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as { path: string; line: string; reason: string })
      .map((r) => `${r.path}:${r.line}: ${r.reason}`)
      .sort();
  }

  async function count(sql: string, server = 0): Promise<number> {
    return Number((await cluster.sql(sql, server)).trim());
  }

  test("one server gets the local index's records byte for byte, in its order, and its bad lines", async () => {
    const files = [await generatedLog(300_000, 1), ...corpusLogs(), await generatedLog(200_000, 2)];
    const local = await localIndex(files);
    const db = freshDatabase();
    const summary = await loadIntoClickhouse(target(db, false), files, {
      workers: 2,
      chunkBytes: 256 << 10,
    });
    expect(summary.records).toBe(local.lines.length);
    expect(summary.badLines).toBe(local.bad.length);
    expect(local.bad.length).toBeGreaterThan(0);
    const loaded = await loadedLines(db);
    expect(loaded.length).toBe(local.lines.length);
    expect(Buffer.concat(loaded).equals(Buffer.concat(local.lines))).toBe(true);
    expect(loaded.every((l, i) => l.equals(local.lines[i]!))).toBe(true);
    expect(await loadedBad(db)).toEqual(local.bad);
  });

  test("the field columns hold the catalog's values of each entry", async () => {
    const files = [await generatedLog(150_000, 3), ...corpusLogs()];
    const db = freshDatabase();
    await loadIntoClickhouse(target(db, false), files, { workers: 1 });
    const select = FIELDS.map((f) => {
      const c = columnOf(f.name)!;
      const q = "`" + c.name + "`";
      if (f.kind === "ip") return `arrayMap(x -> hex(x), ${q}) AS ${q}`;
      if (f.kind === "time") return `toString(${q}) AS ${q}`;
      return q;
    });
    const text = await cluster.sql(
      `SELECT line, ${select.join(", ")} FROM ${db}.breakglass_entries ORDER BY ord FORMAT JSONEachRow`,
    );
    const rows = text
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.length).toBeGreaterThan(500);
    let multiSeen = 0;
    for (const row of rows) {
      const entry: unknown = JSON.parse(recordJsonText(Buffer.from(row.line as string)));
      // source and device are the file's, not the entry's: the path loaded and no label.
      expect(files).toContain(row.source);
      expect(row.device).toBe("");
      for (const f of FIELDS) {
        if (f.name === "source" || f.name === "device") continue;
        const c = columnOf(f.name)!;
        const values = catalogFieldValues(entry, f);
        let expected: unknown;
        if (f.kind === "time") {
          const ns = values.map(timeNanos).find((v) => v !== undefined);
          expected = ns === undefined ? null : String(ns);
        } else if (f.kind === "ip") {
          expected = distinct(
            values.map((v) => Buffer.from(ipKey(v)!).toString("hex").toUpperCase()),
          );
        } else if (f.kind === "number") {
          expected = distinct(values.map(Number));
        } else if (c.multi) {
          expected = distinct(values);
        } else {
          expected = values[0] ?? "";
        }
        if (Array.isArray(expected) && expected.length > 1) multiSeen++;
        // Array columns hold each value once; their order is not part of the contract.
        const cell = row[f.name];
        const value = Array.isArray(cell) ? distinct(cell as unknown[]) : cell;
        expect({ field: f.name, value }).toEqual({ field: f.name, value: expected });
      }
    }
    expect(multiSeen).toBeGreaterThan(0);
    expect(kindValue("ip", "unknown")).toBeUndefined(); // the oracle drops non-addresses too
  });

  test("a two-shard cluster gets the same records, each request and its response on one shard", async () => {
    const files = [await generatedLog(400_000, 4), await generatedLog(100_000, 9)];
    const local = await localIndex(files);
    const db = freshDatabase();
    await loadIntoClickhouse(target(db, true), files, { workers: 2, chunkBytes: 128 << 10 });
    for (const server of [0, 1]) {
      const loaded = await loadedLines(db, server);
      expect(Buffer.concat(loaded).equals(Buffer.concat(local.lines))).toBe(true);
      expect(loaded.length).toBe(local.lines.length);
    }
    const perShard = [
      await count(`SELECT count() FROM ${db}.breakglass_entries_local`, 0),
      await count(`SELECT count() FROM ${db}.breakglass_entries_local`, 1),
    ];
    expect(perShard[0]).toBeGreaterThan(0);
    expect(perShard[1]).toBeGreaterThan(0);
    expect(perShard[0]! + perShard[1]!).toBe(local.lines.length);
    const ids = async (server: number): Promise<Set<string>> =>
      new Set(
        (
          await cluster.sql(
            `SELECT DISTINCT request_id FROM ${db}.breakglass_entries_local WHERE request_id != '' FORMAT TabSeparated`,
            server,
          )
        )
          .split("\n")
          .filter((l) => l !== ""),
      );
    const [a, b] = [await ids(0), await ids(1)];
    expect(a.size).toBeGreaterThan(0);
    expect([...a].filter((id) => b.has(id))).toEqual([]);
    const pairs = await count(
      `SELECT count() FROM (SELECT request_id FROM ${db}.breakglass_entries_local WHERE request_id != '' GROUP BY request_id HAVING count() >= 2)`,
      1,
    );
    expect(pairs).toBeGreaterThan(0);
  });

  test.each([false, true])("a rerun adds nothing (cluster: %s)", async (onCluster) => {
    const files = [await generatedLog(150_000, 5)];
    const db = freshDatabase();
    const t = target(db, onCluster);
    const first = await loadIntoClickhouse(t, files, { workers: 1 });
    const progressRows = await count(`SELECT count() FROM ${db}.breakglass_files`);
    const again = await loadIntoClickhouse(t, files, { workers: 1 });
    expect(again.records).toBe(0);
    expect(await count(`SELECT count() FROM ${db}.breakglass_entries`)).toBe(first.records);
    expect(await count(`SELECT count() FROM ${db}.breakglass_bad_lines`)).toBe(first.badLines);
    expect(await count(`SELECT count() FROM ${db}.breakglass_files`)).toBe(progressRows);
  });

  test.each([false, true])(
    "rows past the recorded progress (a load that died) are replaced, not duplicated (cluster: %s)",
    async (onCluster) => {
      const log = await generatedLog(300_000, 6);
      const full = readFileSync(log);
      const cut = full.indexOf("\n", full.length >> 1) + 1;
      const growing = path.join(tempDir(), "growing.log");
      writeFileSync(growing, full.subarray(0, cut));
      const db = freshDatabase();
      const t = target(db, onCluster);
      await loadIntoClickhouse(t, [growing], { workers: 1, chunkBytes: 32 << 10 });
      appendFileSync(growing, full.subarray(cut));
      await loadIntoClickhouse(t, [growing], { workers: 1, chunkBytes: 32 << 10 });
      const complete = await loadedLines(db);
      // Progress falls back to the half-way state, as if the second load died before writing any
      // of its progress: every row it inserted is now past the progress.
      const files = `${db}.breakglass_files`;
      const newest = (await cluster.sql(`SELECT max(version) FROM ${files}`)).trim();
      // Into the stored table of each server: the file's rows are on one of them (or the only one).
      for (const server of onCluster ? [0, 1] : [0]) {
        const stored = onCluster ? `${files}_local` : files;
        await cluster.sql(
          `INSERT INTO ${stored} SELECT id, toUInt64(${newest}) + 1, path, records,` +
            ` bad_lines, done_bytes, meta FROM ${stored} ORDER BY version LIMIT 1`,
          server,
        );
      }
      const behind = await count(`SELECT argMax(records, version) FROM ${files}`);
      expect(behind).toBeLessThan(complete.length);
      const rerun = await loadIntoClickhouse(t, [growing], { workers: 1, chunkBytes: 32 << 10 });
      expect(rerun.records).toBe(complete.length - behind);
      const after = await loadedLines(db);
      expect(after.length).toBe(complete.length);
      expect(after.every((l, i) => l.equals(complete[i]!))).toBe(true);
      expect(await count(`SELECT count() FROM ${db}.breakglass_bad_lines`)).toBe(2);
      const local = await localIndex([growing]);
      expect(Buffer.concat(after).equals(Buffer.concat(local.lines))).toBe(true);
    },
  );

  test("kill -9 of the bin during a load, then a rerun: exactly the rows of an uninterrupted load", async () => {
    const files: string[] = [];
    for (let i = 0; i < 16; i++) files.push(await generatedLog(100_000, 100 + i));
    const local = await localIndex(files);
    const db = freshDatabase();
    const url = cluster.url(db, { cluster: true });
    const args = ["index", "--backend", url, "--workers", "1", ...files];
    const child = startBin(args, PASSWORD_ENV);
    const done = finishBin(child);
    // Kill once some rows are in, well before all are.
    for (;;) {
      await new Promise((r) => setTimeout(r, 25));
      // Until the tables exist on both shards, reading them fails: keep polling.
      const n = await count(`SELECT count() FROM ${db}.breakglass_entries`).catch(() => 0);
      if (n > 0) break;
    }
    child.kill("SIGKILL");
    const killed = await done;
    expect(killed.signal).toBe("SIGKILL");
    const partial = await count(`SELECT count() FROM ${db}.breakglass_entries`);
    expect(partial).toBeLessThan(local.lines.length);
    const rerun = await runBin(args, PASSWORD_ENV);
    expect(rerun.stderr).not.toMatch(/internal error/);
    expect(rerun.code).toBe(0);
    const loaded = await loadedLines(db);
    expect(loaded.length).toBe(local.lines.length);
    expect(Buffer.concat(loaded).equals(Buffer.concat(local.lines))).toBe(true);
    expect(await loadedBad(db)).toEqual(local.bad);
  });

  test("the password is sent, never printed, even when it is refused or the server is down", async () => {
    const log = await generatedLog(50_000, 7);
    const db = freshDatabase();
    const url = cluster.url(db);
    const ok = await runBin(["index", "--backend", url, "--json", log], {
      ...PASSWORD_ENV,
      BREAKGLASS_DEBUG: "1",
    });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).records).toBeGreaterThan(0);
    for (const out of [ok.stdout, ok.stderr]) expect(out).not.toContain(CLICKHOUSE_TEST_PASSWORD);

    const wrong = "wrong-" + CLICKHOUSE_TEST_PASSWORD;
    const refused = await runBin(["index", "--backend", url, log], {
      CLICKHOUSE_PASSWORD: wrong,
      BREAKGLASS_DEBUG: "1",
    });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(new RegExp(`refused user ${CLICKHOUSE_TEST_USER}`));
    expect(refused.stderr + refused.stdout).not.toContain(wrong);

    const s = cluster.servers[0]!;
    const down = `clickhouse://${CLICKHOUSE_TEST_USER}@${s.host}:1/${db}`;
    const unreachable = await runBin(["index", "--backend", down, log], PASSWORD_ENV);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain(
      `cannot reach ClickHouse at clickhouse://${CLICKHOUSE_TEST_USER}@${s.host}:1/${db}`,
    );
    expect(unreachable.stderr).not.toMatch(/^\s+at /m);
    expect(unreachable.stderr).not.toContain(CLICKHOUSE_TEST_PASSWORD);

    const viaEnv = await runBin(["index", "--json", log], {
      ...PASSWORD_ENV,
      BREAKGLASS_BACKEND: url,
    });
    expect(viaEnv.code).toBe(0);
    expect(JSON.parse(viaEnv.stdout).records).toBe(0); // already loaded: $BREAKGLASS_BACKEND was used
  });

  test("clickhouses:// loads over HTTPS verified with --ca, and fails clearly without it", async () => {
    if (cluster.caFile === undefined) {
      console.warn("SKIPPED: clickhouses:// test: no openssl to make the test certificate");
      return;
    }
    const log = await generatedLog(40_000, 10);
    const db = freshDatabase();
    const url = cluster.url(db, { cluster: true, tls: true });
    expect(url).toMatch(/^clickhouses:/);
    const unverified = await runBin(["index", "--backend", url, log], PASSWORD_ENV);
    expect(unverified.code).toBe(3);
    expect(unverified.stderr).toMatch(
      /cannot verify the TLS certificate of ClickHouse at clickhouses:/,
    );
    expect(unverified.stderr).toMatch(/--ca FILE/);
    const ok = await runBin(
      ["index", "--backend", url, "--ca", cluster.caFile, "--json", log],
      PASSWORD_ENV,
    );
    expect(ok.stderr).not.toMatch(/breakglass:/);
    expect(ok.code).toBe(0);
    const records = JSON.parse(ok.stdout).records as number;
    expect(records).toBeGreaterThan(0);
    expect(await count(`SELECT count() FROM ${db}.breakglass_entries`)).toBe(records);
  });

  test("a database of a newer schema, or loaded as another layout, is refused (exit 3)", async () => {
    const log = await generatedLog(30_000, 8);
    const db = freshDatabase();
    await loadIntoClickhouse(target(db, true), [log], { workers: 1 });
    const single = await runBin(["index", "--backend", cluster.url(db), log], PASSWORD_ENV);
    expect(single.code).toBe(3);
    expect(single.stderr).toMatch(/loaded as cluster:breakglass_test, not single/);
    expect(single.stderr).toMatch(/\?cluster=breakglass_test/);

    for (const server of [0, 1]) {
      await cluster.sql(`DROP TABLE ${db}.breakglass_schema`, server);
      await cluster.sql(
        `CREATE TABLE ${db}.breakglass_schema (version UInt32, layout String) ENGINE = TinyLog`,
        server,
      );
      await cluster.sql(
        `INSERT INTO ${db}.breakglass_schema VALUES (99, 'cluster:breakglass_test')`,
        server,
      );
    }
    const newer = await runBin(
      ["index", "--backend", cluster.url(db, { cluster: true }), log],
      PASSWORD_ENV,
    );
    expect(newer.code).toBe(3);
    expect(newer.stderr).toMatch(/schema version 99, newer than this breakglass \(1\)/);
    expect(newer.stderr).toMatch(/upgrade breakglass/);
  });
});
