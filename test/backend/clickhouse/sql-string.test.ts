// sqlString is the one place a value becomes SQL text: a real ClickHouse reads each literal back as
// exactly the value's bytes, hostile or not, and the rest of the statement still runs.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sqlString } from "../../../src/backend/clickhouse/sql-string.js";
import {
  hasClickhouse,
  startClickhouseCluster,
  type ClickhouseCluster,
} from "../../helpers/clickhouse-cluster.js";

export const HOSTILE_VALUES: readonly (string | Buffer)[] = [
  "it's",
  "back\\slash",
  "\\'",
  "'); DROP TABLE breakglass_entries; --",
  "' OR 1=1 --",
  "nul\0byte",
  "tab\tnew\nline\rcr",
  "ünïcødé ☃ 𝄞",
  '`backtick` "double"',
  "\\x41 is not A",
  "",
  Buffer.from([0xff, 0xfe, 0x27, 0x5c, 0x00, 0xc3]), // invalid UTF-8, a quote, a backslash, NUL
];

describe("sqlString", () => {
  test.each([
    ["plain", "secret/app1", "'secret/app1'"],
    ["a quote", "it's", "'it\\x27s'"],
    ["a backslash", "a\\b", "'a\\x5cb'"],
    ["NUL", "a\0b", "'a\\x00b'"],
    ["non-ASCII as its UTF-8 bytes", "é", "'\\xc3\\xa9'"],
  ])("writes %s so that it cannot end the literal", (_what, value, sql) => {
    expect(sqlString(value)).toBe(sql);
  });

  test("never lets a quote or backslash of the value through unescaped", () => {
    for (const value of HOSTILE_VALUES) {
      const inner = sqlString(value).slice(1, -1);
      expect(inner).not.toMatch(/'/);
      expect(inner.replace(/\\x[0-9a-f]{2}/g, "")).not.toMatch(/\\/);
    }
  });
});

describe.skipIf(!hasClickhouse())("sqlString on a real ClickHouse", () => {
  let cluster: ClickhouseCluster;
  beforeAll(async () => {
    cluster = await startClickhouseCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  test.each(HOSTILE_VALUES.map((v) => [JSON.stringify(v.toString("latin1")), v] as const))(
    "the server reads %s back byte for byte",
    async (_name, value) => {
      const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
      const got = await cluster.sql(`SELECT hex(${sqlString(value)}), 'after'`);
      expect(got).toBe(`${bytes.toString("hex").toUpperCase()}\tafter\n`);
    },
  );
});
