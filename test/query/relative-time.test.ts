// Relative times (`time >= now-1h`): the parser keeps them as written, and they become the RFC
// 3339 time they mean when the query runs (resolve-values.ts), only where a time is compared.
import { describe, expect, it, test } from "vitest";
import type { Compare, In, Query } from "../../src/query/ast.js";
import { parseQuery } from "../../src/query/parse-query.js";
import { resolveRelativeTime } from "../../src/query/relative-time.js";
import { resolveValues } from "../../src/query/resolve-values.js";
import { QueryError } from "../../src/errors.js";

const NOW = Date.parse("2026-03-10T12:00:00Z");

async function resolved(text: string, nowMs = NOW): Promise<Query> {
  return resolveValues(parseQuery(text), {
    hash: async (p) => p.map(() => "hmac-sha256:00"),
    subquery: async () => [],
    now: () => nowMs,
  });
}

describe("resolveRelativeTime", () => {
  test.each([
    ["now", "2026-03-10T12:00:00.000Z"],
    ["now-30s", "2026-03-10T11:59:30.000Z"],
    ["now-15m", "2026-03-10T11:45:00.000Z"],
    ["now-1h", "2026-03-10T11:00:00.000Z"],
    ["now-7d", "2026-03-03T12:00:00.000Z"],
    ["NOW-2W", "2026-02-24T12:00:00.000Z"],
  ])("%s is %s", (text, iso) => {
    expect(resolveRelativeTime(text, NOW)).toBe(iso);
  });
});

describe("relative times in queries", () => {
  it("turns `time >= now-1h` into the time an hour before the query runs", async () => {
    const q = await resolved("time >= now-1h");
    const where = q.where as Compare;
    expect(where.value).toMatchObject({
      kind: "literal",
      form: "time",
      text: "2026-03-10T11:00:00.000Z",
    });
  });

  it("resolves again on every run (the moment counts, not the parse)", async () => {
    const parsed = parseQuery("time > now-7d");
    const a = await resolveValues(parsed, {
      hash: async () => [],
      subquery: async () => [],
      now: () => NOW,
    });
    const b = await resolveValues(parsed, {
      hash: async () => [],
      subquery: async () => [],
      now: () => NOW + 3_600_000,
    });
    expect((a.where as Compare).value).toMatchObject({ text: "2026-03-03T12:00:00.000Z" });
    expect((b.where as Compare).value).toMatchObject({ text: "2026-03-03T13:00:00.000Z" });
  });

  it('keeps `now` as a word for a text field (`path = now` is the path "now")', async () => {
    const q = await resolved("path = now");
    expect((q.where as Compare).value).toMatchObject({ text: "now", form: "relativeTime" });
  });

  it("resolves an ordered comparison on a dotted path, and list items of a time field", async () => {
    const q = await resolved("response.data.expires < now and time in [now-1d, now]");
    const [path, list] = (q.where as unknown as { terms: readonly [Compare, In] }).terms;
    expect(path.value).toMatchObject({ form: "time", text: "2026-03-10T12:00:00.000Z" });
    expect(list.value).toMatchObject({
      kind: "list",
      items: [{ text: "2026-03-09T12:00:00.000Z" }, { text: "2026-03-10T12:00:00.000Z" }],
    });
  });

  test.each(["time > now-1y", "time > now+1h", "time > now-h", "time >= now1h"])(
    "%s is a query error that shows the relative form",
    (text) => {
      let err: unknown;
      try {
        parseQuery(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(QueryError);
      expect((err as QueryError).hint).toContain("now-1h");
    },
  );
});
