// The page's time range (web/time-range.ts): the condition each kind adds, and the URL round trip
// that makes a shared link reproduce the view.
import { describe, expect, test } from "vitest";
import {
  queryWithRange,
  rangeCondition,
  rangeFromParams,
  rangeParams,
  type TimeRange,
} from "../../web/time-range.js";

const ABSOLUTE: TimeRange = {
  kind: "absolute",
  fromMs: Date.parse("2026-11-20T00:00:00Z"),
  toMs: Date.parse("2026-11-20T00:10:00.5Z"),
};

describe("time ranges", () => {
  test.each([
    [{ kind: "all" } as TimeRange, ""],
    [{ kind: "relative", last: "15m" } as TimeRange, "time >= now-15m"],
    [{ kind: "relative", last: "7d" } as TimeRange, "time >= now-7d"],
    [ABSOLUTE, "time >= 2026-11-20T00:00:00Z and time < 2026-11-20T00:10:00.500Z"],
  ])("%j adds %j", (range, condition) => {
    expect(rangeCondition(range)).toBe(condition);
  });

  test("the range is and-ed onto the filter, before the stages", () => {
    expect(queryWithRange("ip = 1.2.3.4 | leases", { kind: "relative", last: "1h" })).toBe(
      "ip = 1.2.3.4 and time >= now-1h | leases",
    );
    expect(queryWithRange("ip = 1.2.3.4 | leases", { kind: "all" })).toBe("ip = 1.2.3.4 | leases");
  });

  test.each([
    { kind: "all" } as TimeRange,
    { kind: "relative", last: "24h" } as TimeRange,
    ABSOLUTE,
  ])("%j survives the URL", (range) => {
    const params = new URLSearchParams({ q: "ip = 1.2.3.4" });
    rangeParams(range, params);
    expect(rangeFromParams(new URLSearchParams(params.toString()))).toEqual(range);
  });

  test.each([
    "range=2h",
    "from=yesterday&to=today",
    "from=2026-11-20T00:10:00Z&to=2026-11-20T00:00:00Z",
  ])("a URL with %s means all time", (search) => {
    expect(rangeFromParams(new URLSearchParams(search))).toEqual({ kind: "all" });
  });
});
