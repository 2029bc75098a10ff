// Hostile values (quotes, backslashes, `'); DROP TABLE`, NUL, invalid UTF-8, regex metacharacters)
// in the log and in queries, through every operator and the stages that push down: ClickHouse
// matches them literally, exactly as the local index does, and its tables are still there after.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openIndex, type QuerySource } from "../../../src/index-api.js";
import { indexFiles } from "../../../src/ingest/index-files.js";
import { runQuery } from "../../../src/query/run-query.js";
import type { StageOutput } from "../../../src/query/stage-output.js";
import { hasClickhouse } from "../../helpers/clickhouse-cluster.js";
import {
  clickhouseWith,
  sharedCluster,
  stopSharedCluster,
} from "../../helpers/clickhouse-backend-for.js";
import { tempDirs } from "../../helpers/temp-dir.js";

const tempDir = tempDirs("bg-ch-hostile-");

/** Values planted in the log, each in its own entry (as text in JSON: escapes are JSON's). */
const HOSTILE = [
  "it's",
  "back\\slash",
  "\\'",
  "'); DROP TABLE breakglass_entries; --",
  "' OR 1=1 --",
  "nul\u0000byte",
  "new\nline",
  "a.b*c+d?(e)[f]{g}|h^$",
  "ünïcødé ☃",
  "\\x41",
] as const;
/** A value written as invalid UTF-8 in the log: JSON reads it as U+FFFD. */
const INVALID_UTF8_LINE = (n: number): Buffer =>
  Buffer.concat([
    Buffer.from(`{"type":"request","time":"2026-01-01T00:00:${String(n).padStart(2, "0")}Z",`),
    Buffer.from(`"request":{"id":"r${n}","path":"bad\\u0020`),
    Buffer.from([0xff, 0xfe]),
    Buffer.from(`utf8","remote_address":"10.0.0.${n}"}}\n`),
  ]);

function entryLine(n: number, value: string): string {
  return JSON.stringify({
    type: "response",
    time: `2026-01-01T00:00:${String(n).padStart(2, "0")}Z`,
    auth: { client_token: value, policies: [value, "default"], metadata: { role_name: value } },
    request: { id: `r${n}`, path: value, remote_address: `10.0.0.${n}`, namespace: { path: "" } },
    response: { secret: { lease_id: `lease/${value}` }, data: { username: value } },
    error: value,
  });
}

const regexOf = (v: string): string => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const q = (v: string): string => JSON.stringify(v);

/** Every operator, on a one-value field, an array field, a dotted path, and through stages. */
function queriesFor(v: string): string[] {
  return [
    `path = ${q(v)}`,
    `path != ${q(v)}`,
    `path ^= ${q(v)}`,
    `path ~ ${q("^" + regexOf(v) + "$")}`,
    `path in [${q(v)}, "other"]`,
    `not path = ${q(v)}`,
    `exists path and error = ${q(v)}`,
    `token = ${q(v)}`,
    `policy in [${q(v)}]`,
    `role ^= ${q(v)}`,
    `role ~ ${q(regexOf(v))}`,
    `lease = ${q("lease/" + v)}`,
    `response.data.username = ${q(v)}`,
    `response.data.username ~ ${q(regexOf(v))}`,
    `path in (token = ${q(v)} | distinct path)`,
    `path = ${q(v)} | count`,
    `path = ${q(v)} | count by path`,
    `path ^= ${q(v)} | distinct error`,
    `token = ${q(v)} | leases`,
    `path = ${q(v)} | pair`,
  ];
}

async function answer(source: QuerySource, text: string): Promise<unknown[]> {
  const run = await runQuery(source.engine, text);
  const out: unknown[] = [];
  for await (const item of run.items as AsyncIterable<StageOutput>) {
    if (item.kind === "record") out.push(item.record.line.toString("latin1"));
    else if (item.kind === "pair")
      out.push([item.request?.line.toString("latin1"), item.response?.line.toString("latin1")]);
    else out.push(item);
  }
  return out;
}

describe.skipIf(!hasClickhouse())("hostile values on ClickHouse", () => {
  let local: QuerySource;
  let ch: QuerySource;
  beforeAll(async () => {
    const log = path.join(tempDir(), "audit.log");
    const lines = HOSTILE.map((v, i) => Buffer.from(entryLine(i + 1, v) + "\n"));
    writeFileSync(log, Buffer.concat([...lines, INVALID_UTF8_LINE(40)]));
    const db = path.join(tempDir(), "db");
    await indexFiles(db, [log], { workers: 1 });
    local = openIndex(db);
    ch = await clickhouseWith([log]);
  }, 120_000);
  afterAll(async () => {
    await local?.close();
    await ch?.close();
    await stopSharedCluster();
  });

  test.each(HOSTILE.flatMap((v) => queriesFor(v).map((text) => [text] as const)))(
    "%s matches literally, as on the local index",
    async (text) => {
      const expected = await answer(local, text);
      expect(await answer(ch, text)).toEqual(expected);
    },
  );

  test.each(HOSTILE.map((v, i) => [v, i] as const))(
    "path = %j finds exactly its own entry",
    async (v, i) => {
      const got = await answer(ch, `path = ${q(v)}`);
      expect(got).toEqual([entryLine(i + 1, v)].map((l) => Buffer.from(l).toString("latin1")));
    },
  );

  test("a line with invalid UTF-8 is treated alike by both (loaded or counted as bad)", async () => {
    for (const text of ['path ^= "bad"', "* | count", 'path ~ "utf8$"']) {
      expect(await answer(ch, text), text).toEqual(await answer(local, text));
    }
  });

  test("the tables are all still there", async () => {
    const cluster = await sharedCluster();
    const tables = await cluster.sql(
      "SELECT count() FROM system.tables WHERE name = 'breakglass_entries'",
    );
    expect(Number(tables.trim())).toBeGreaterThan(0);
    expect(await answer(ch, "* | count")).toEqual(await answer(local, "* | count"));
    expect(await answer(ch, "* | count")).not.toEqual([{ kind: "count", count: 0 }]);
  });
});
