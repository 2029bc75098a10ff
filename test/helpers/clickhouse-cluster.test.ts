// The ClickHouse test harness itself: two real servers, one two-shard cluster, a password user,
// and nothing left behind after stop().
import { existsSync } from "node:fs";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  CLICKHOUSE_TEST_PASSWORD,
  CLICKHOUSE_TEST_USER,
  hasClickhouse,
  startClickhouseCluster,
  type ClickhouseCluster,
} from "./clickhouse-cluster.js";

function status(host: string, port: number, user: string, password: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host,
        port,
        method: "POST",
        path: "/",
        headers: { "X-ClickHouse-User": user, "X-ClickHouse-Key": password },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end("SELECT 1");
  });
}

describe.skipIf(!hasClickhouse())("a two-shard ClickHouse test cluster", () => {
  let cluster: ClickhouseCluster;
  beforeAll(async () => {
    cluster = await startClickhouseCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  test("both servers answer, and each sees the cluster's two shards", async () => {
    for (const i of [0, 1]) {
      const shards = await cluster.sql(
        `SELECT count() FROM system.clusters WHERE cluster = '${cluster.clusterName}'`,
        i,
      );
      expect(shards.trim()).toBe("2");
    }
  });

  test("a Distributed table reads the local tables of both shards", async () => {
    for (const i of [0, 1]) {
      await cluster.sql("CREATE TABLE default.t (n UInt32) ENGINE = MergeTree ORDER BY n", i);
      await cluster.sql(`INSERT INTO default.t VALUES (${i + 1}), (${i + 10})`, i);
    }
    await cluster.sql(
      `CREATE TABLE default.d (n UInt32) ENGINE = Distributed(${cluster.clusterName}, default, t, n)`,
      1,
    );
    expect((await cluster.sql("SELECT sum(n) FROM default.d", 1)).trim()).toBe(
      String(1 + 10 + 2 + 11),
    );
  });

  test("the breakglass user needs its password", async () => {
    const s = cluster.servers[0]!;
    expect(await status(s.host, s.httpPort, CLICKHOUSE_TEST_USER, CLICKHOUSE_TEST_PASSWORD)).toBe(
      200,
    );
    expect(await status(s.host, s.httpPort, CLICKHOUSE_TEST_USER, "wrong")).not.toBe(200);
  });

  test("stop() ends the servers and removes their directories", async () => {
    const other = await startClickhouseCluster();
    await other.stop();
    for (const s of other.servers) {
      expect(existsSync(s.dir)).toBe(false);
      expect(s.process.signalCode ?? s.process.exitCode).not.toBeNull();
    }
  });
});
