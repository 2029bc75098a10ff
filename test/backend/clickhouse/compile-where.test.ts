// The where-clause compiler: which SQL each operator becomes, and which predicates the SQL decides
// alone (exact) and which it only narrows (the backend tests those rows on their entries).
import { describe, expect, test } from "vitest";
import { compileWhere } from "../../../src/backend/clickhouse/compile-where.js";
import { parseQuery } from "../../../src/query/parse-query.js";

function compile(text: string): { sql: string; exact: boolean } {
  const q = parseQuery(text);
  return compileWhere(q.where, q.text);
}

const V4 = (a: string): string =>
  `toFixedString('\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xff\\xff${a}', 16)`;

describe("compileWhere", () => {
  test.each([
    ["path = secret/app1", "`path` = 'secret/app1'"],
    ["path != secret/app1", "NOT (`path` = 'secret/app1')"],
    ["path ^= secret/", "(`path` != '' AND startsWith(`path`, 'secret/'))"],
    ['error ~ "not valid"', "(`error` != '' AND match(`error`, '(?-s)not valid'))"],
    ["token = abc", "has(`token`, 'abc')"],
    ["role ^= app", "arrayExists(x -> startsWith(x, 'app'), `role`)"],
    ["ip = 10.0.0.1", `has(\`ip\`, ${V4("\\x0a\\x00\\x00\\x01")})`],
    [
      "ip in 10.1.0.0/16",
      `arrayExists(x -> (x >= ${V4("\\x0a\\x01\\x00\\x00")} AND x <= ${V4("\\x0a\\x01\\xff\\xff")}), \`ip\`)`,
    ],
    ["time >= 2018-08-28T00:00:00Z", "ifNull(`time` >= 1535414400000000000, 0)"],
    ["port > 8000", "arrayExists(x -> x > toFloat64('8000'), `port`)"],
    ["exists lease", "`lease` != ''"],
    ["exists policy", "notEmpty(`policy`)"],
    ["not exists time", "NOT (isNotNull(`time`))"],
    [
      "port in [443, 8200]",
      "(arrayExists(x -> x = toFloat64('443'), `port`)) OR (arrayExists(x -> x = toFloat64('8200'), `port`))",
    ],
    ["path in [a, b, a]", "`path` IN ('a', 'b')"],
    ["policy in [a, b]", "hasAny(`policy`, ['a', 'b'])"],
    [
      "op = read and (type = request or type = response)",
      "(`op` = 'read') AND ((`type` = 'request') OR (`type` = 'response'))",
    ],
    ["*", "1"],
  ])("%s is exact: %s", (query, sql) => {
    expect(compile(query)).toEqual({ sql, exact: true });
  });

  test.each([
    ["response.data.username = v-app", "1"],
    ["ip ^= 10.0", "notEmpty(`ip`)"],
    ['time ~ "Z$"', "1"],
    ["not response.data.x = 1", "1"],
    ["path = a and request.data.ttl = 1h", "(`path` = 'a') AND 1"],
  ])("%s narrows to %s and is re-checked on the entries", (query, sql) => {
    expect(compile(query)).toEqual({ sql, exact: false });
  });

  test("hostile values stay inside their literals", () => {
    const { sql } = compile(`path = "'); DROP TABLE x; --" or error ~ "\\\\'"`);
    expect(sql).toBe(
      "(`path` = '\\x27); DROP TABLE x; --') OR ((`error` != '' AND match(`error`, '(?-s)\\x5c\\x27')))",
    );
  });
});
