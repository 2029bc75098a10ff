// The built bin with `--backend clickhouse://…` against a two-shard cluster: `query` prints the
// original lines byte for byte in the local index's order, `--explain` shows the SQL, `stats`
// counts what the local index counts, `shell` answers piped queries, and the password is never
// printed.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { writeAuditLog } from "../../src/demo/generate-log.js";
import { CLICKHOUSE_TEST_PASSWORD, hasClickhouse } from "../helpers/clickhouse-cluster.js";
import {
  indexLocallyAndOnClickhouse,
  stopSharedCluster,
} from "../helpers/clickhouse-backend-for.js";
import { ensureBuilt, runBin } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-e2e-clickhouse-");
const CH_ENV = { CLICKHOUSE_PASSWORD: CLICKHOUSE_TEST_PASSWORD };

describe.skipIf(!hasClickhouse())("breakglass --backend clickhouse://… (two shards)", () => {
  let db = "";
  let url = "";
  let home = "";

  beforeAll(async () => {
    await ensureBuilt();
    home = tempDir();
    const log = path.join(home, "audit.log");
    await writeAuditLog(log, { seed: 7, targetBytes: 1_000_000, salt: "e2e-ch" });
    db = path.join(home, "db");
    url = await indexLocallyAndOnClickhouse(home, db, log);
  }, 180_000);
  afterAll(stopSharedCluster);

  test.each([
    "ip in 10.0.0.0/8",
    "path ^= secret/ and not op = read",
    "* | sort time desc | limit 7",
    'exists request.data.ttl or response.data.username ~ "^v-"',
  ])("query %s: ndjson is the local index's output, byte for byte", async (text) => {
    const onLocal = await runBin(["query", "--db", db, text], { HOME: home });
    const onCh = await runBin(["query", "--backend", url, text], { HOME: home, ...CH_ENV });
    expect(onCh.code, onCh.stderr).toBe(0);
    expect(onCh.stdout.length).toBeGreaterThan(0);
    expect(onCh.stdout).toBe(onLocal.stdout);
  });

  test.each([
    "ip in 10.0.0.0/8 | count by path",
    "* | top 3 ip",
    "* | timeline 1h",
    "op = read | leases",
    "* | distinct role",
  ])("query %s prints what the local index prints", async (text) => {
    const onLocal = await runBin(["query", "--db", db, text], { HOME: home });
    const onCh = await runBin(["query", text], { HOME: home, ...CH_ENV, BREAKGLASS_BACKEND: url });
    expect(onCh.code, onCh.stderr).toBe(0);
    expect(onCh.stdout).toBe(onLocal.stdout);
  });

  test("--explain shows the SQL sent, and never the password", async () => {
    const r = await runBin(
      ["query", "--backend", url, "--explain", "ip in 10.0.0.0/8 | count by path"],
      { HOME: home, ...CH_ENV },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/ARRAY JOIN|GROUP BY v/);
    expect(r.stderr).toMatch(/arrayExists\(x -> \(x >= toFixedString\(/);
    expect(r.stdout + r.stderr).not.toContain(CLICKHOUSE_TEST_PASSWORD);
  });

  test("stats --json counts the same files, records and time span", async () => {
    const onLocal = JSON.parse(
      (await runBin(["stats", "--db", db, "--json"], { HOME: home })).stdout,
    );
    const r = await runBin(["stats", "--backend", url, "--json"], { HOME: home, ...CH_ENV });
    expect(r.code, r.stderr).toBe(0);
    const onCh = JSON.parse(r.stdout);
    for (const key of [
      "files",
      "records",
      "badLines",
      "bytes",
      "firstTime",
      "lastTime",
      "noTime",
    ]) {
      expect(onCh[key], key).toEqual(onLocal[key]);
    }
  });

  test("shell --backend answers piped queries as the local shell does", async () => {
    const input = "ip in 10.0.0.0/8 | count\nop = read | leases\n";
    const onLocal = await runBin(["shell", "--db", db], { HOME: home }, input);
    const onCh = await runBin(["shell", "--backend", url], { HOME: home, ...CH_ENV }, input);
    expect(onCh.code, onCh.stderr).toBe(0);
    expect(onCh.stdout).toBe(onLocal.stdout);
  });

  test("a wrong password is an input error (exit 3) that does not print it", async () => {
    const r = await runBin(["query", "--backend", url, "* | count"], {
      HOME: home,
      CLICKHOUSE_PASSWORD: "wrong-Pa55",
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/ClickHouse/);
    expect(r.stderr).not.toContain("wrong-Pa55");
  });
});
