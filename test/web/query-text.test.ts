// The page's query editing (web/query-text.ts): values written so they stay values, the filter and
// the stages told apart outside quotes and parentheses, conditions and-ed before the stages, and a
// server error's offset in the query that ran mapped back onto the text the user typed.
import { describe, expect, test } from "vitest";
import {
  andFilter,
  fieldCondition,
  leaseQuery,
  queryValue,
  splitStages,
  stageNames,
  typedOffset,
} from "../../web/query-text.js";
import { queryWithRange } from "../../web/time-range.js";

describe("queryValue", () => {
  test.each([
    ["10.103.9.43", "10.103.9.43"],
    ["secret/app1", "secret/app1"],
    ["and", '"and"'],
    ["NOT", '"NOT"'],
    ["two words", '"two words"'],
    ['x" or ip = 1.2.3.4', '"x\\" or ip = 1.2.3.4"'],
    ["", '""'],
    ["a|b", '"a|b"'],
  ])("%j is written as %s", (value, written) => {
    expect(queryValue(value)).toBe(written);
  });
});

describe("splitStages", () => {
  test.each([
    ["ip = 1.2.3.4", "ip = 1.2.3.4", ""],
    ["ip = 1.2.3.4 | leases", "ip = 1.2.3.4", "| leases"],
    ['path = "a|b" | count', 'path = "a|b"', "| count"],
    [
      "token in (ip = 1.2.3.4 | distinct token) | leases",
      "token in (ip = 1.2.3.4 | distinct token)",
      "| leases",
    ],
    ["error ~ 'x\\'|y' | count by ip | limit 3", "error ~ 'x\\'|y'", "| count by ip | limit 3"],
  ])("%s", (query, filter, stages) => {
    expect(splitStages(query)).toEqual({ filter, stages });
  });

  test("stage names in order", () => {
    expect(stageNames('path = "a|b" | count by ip | limit 3')).toEqual(["count", "limit"]);
    expect(stageNames("ip = 1.2.3.4")).toEqual([]);
  });
});

describe("andFilter and fieldCondition", () => {
  test.each([
    ["op = read", "path = x", "op = read and path = x"],
    ["op = read | count by ip", "path = x", "op = read and path = x | count by ip"],
    ["a = 1 or b = 2", "path = x", "(a = 1 or b = 2) and path = x"],
    ["(a = 1 or b = 2)", "path = x", "(a = 1 or b = 2) and path = x"],
    ['error = "x or y"', "path = x", 'error = "x or y" and path = x'],
    ["", "path = x", "path = x"],
  ])("%s and %s", (query, condition, result) => {
    expect(andFilter(query, condition)).toBe(result);
  });

  test("a sidebar value is compared, or excluded, as a value", () => {
    expect(fieldCondition("path", "secret/data/app1", false)).toBe("path = secret/data/app1");
    expect(fieldCondition("error", "permission denied", true)).toBe(
      'not error = "permission denied"',
    );
  });
});

describe("typedOffset: a caret under what the user typed, when the page added a time range", () => {
  test.each([
    // typed, the error's offset in it, the query that ran (last 1 h added), the offset there
    ["ip = and", 5, "ip = and and time >= now-1h", 5],
    ["a = 1 or and", 9, "(a = 1 or and) and time >= now-1h", 10],
    ["ip = 1.2.3.4 | cout", 15, "ip = 1.2.3.4 and time >= now-1h | cout", 34],
  ])("%s, error at %i", (typed, inTyped, ran, inRan) => {
    expect(queryWithRange(typed, { kind: "relative", last: "1h" })).toBe(ran);
    expect(typedOffset(typed, ran, inRan)).toBe(inTyped);
  });

  test("an error inside the added range has no place in the typed text", () => {
    const typed = "ip = 1.2.3.4";
    const ran = queryWithRange(typed, { kind: "relative", last: "1h" });
    expect(typedOffset(typed, ran, ran.indexOf("now"))).toBeUndefined();
  });

  test("without a range the offset is the server's", () => {
    expect(typedOffset("ip = and", "ip = and", 5)).toBe(5);
  });
});

describe("leaseQuery: the leases the revoke panel offers", () => {
  test.each([
    ["ip = 1.2.3.4", "ip = 1.2.3.4"],
    ["ip = 1.2.3.4 | leases", "ip = 1.2.3.4 | leases"],
    [
      "token in (ip = 1.2.3.4 | distinct token) | leases",
      "token in (ip = 1.2.3.4 | distinct token) | leases",
    ],
    ["op = read | top 10 path", "op = read"],
    ["ip = 1.2.3.4 | count by path", "ip = 1.2.3.4"],
  ])("%s → %s", (query, leases) => {
    expect(leaseQuery(query)).toBe(leases);
  });
});
