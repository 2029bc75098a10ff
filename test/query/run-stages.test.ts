// runStages over an in-memory log gives what a plain JS computation over the parsed lines gives:
// leases, distinct, count, count by, top, fields, sort, limit, timeline and pair, alone and
// chained; and it streams (limit stops pulling upstream, leases emit before the input ends).
import { describe, expect, it } from "vitest";
import { parseQuery } from "../../src/query/parse-query.js";
import { runStages } from "../../src/query/run-stages.js";
import type { StageOutput } from "../../src/query/stage-output.js";
import type { MatchedRecord } from "../../src/query/matched-record.js";
import { LOG_LINES, collect, contextOf, matchedRecords, stream } from "./matched-records.js";

type Obj = Record<string, any>; // parsed JSON lines, read freely by the oracle

const records = matchedRecords(LOG_LINES);
const parsed: Obj[] = LOG_LINES.map((l) => JSON.parse(l) as Obj);
const ctx = contextOf(records);
const instant = (t: string): number => Date.parse(t);

async function run(
  pipeline: string,
  input: readonly MatchedRecord[] = records,
): Promise<StageOutput[]> {
  return collect(runStages(stream(input), parseQuery(`* | ${pipeline}`).stages, ctx));
}

/** The remote address (port stripped) and the right-most X-Forwarded-For entry. */
function ipOf(e: Obj): string[] {
  const out = [String(e.request.remote_address).replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, "$1")];
  const xff: string[] = [];
  for (const h of e.request.headers?.["x-forwarded-for"] ?? []) {
    for (const part of String(h).split(",")) xff.push(part.trim());
  }
  if (xff.length > 0 && !out.includes(xff[xff.length - 1]!)) out.push(xff[xff.length - 1]!);
  return out;
}

describe("leases", () => {
  it("are the distinct lease ids in order of first appearance, with their namespace", async () => {
    const expected: { lease: string; namespace: string | null }[] = [];
    for (const e of parsed) {
      const lease = e.response?.secret?.lease_id;
      if (lease && !expected.some((x) => x.lease === lease)) {
        const ns = e.request.namespace?.path;
        expected.push({ lease, namespace: ns ? ns : null });
      }
    }
    const out = await run("leases");
    expect(out).toEqual(expected.map((x) => ({ kind: "lease", ...x })));
    expect(out.map((o) => (o as { lease: string }).lease)).toEqual([
      "database/creds/app/L1",
      "database/creds/app/L2",
      "database/creds/app/L3",
    ]);
  });

  it("stream: the first lease is out before the input ends", async () => {
    let pulled = 0;
    async function* slow(): AsyncIterable<MatchedRecord> {
      for (const r of records) {
        pulled++;
        yield r;
      }
    }
    const it = runStages(slow(), parseQuery("| leases").stages, ctx)[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value).toMatchObject({ lease: "database/creds/app/L1" });
    expect(pulled).toBe(2);
    await it.return?.();
  });
});

describe("distinct", () => {
  it.each([
    ["path", (e: Obj) => [e.request.path]],
    ["ip", ipOf],
    ["policy", (e: Obj) => e.auth.policies],
    ["type", (e: Obj) => [e.type]],
    [
      "response.data.ttl",
      (e: Obj) => (e.response?.data?.ttl === undefined ? [] : [e.response.data.ttl]),
    ],
  ])("distinct %s: values in order of first appearance", async (field, read) => {
    const expected: unknown[] = [];
    for (const e of parsed) for (const v of read(e)) if (!expected.includes(v)) expected.push(v);
    const out = await run(`distinct ${field}`);
    expect(out.map((o) => (o as { value: unknown }).value)).toEqual(expected);
  });

  it("prints IPv6 addresses and strips ports", async () => {
    const out = await run("distinct ip");
    const values = out.map((o) => (o as { value: unknown }).value);
    expect(values).toContain("2001:db8::1");
    expect(values).toContain("10.0.0.5");
    expect(values).not.toContain("10.0.0.5:5696");
  });
});

describe("count, count by, top", () => {
  it("count counts entries", async () => {
    expect(await run("count")).toEqual([{ kind: "count", count: parsed.length }]);
  });

  it("count by path: largest first, ties by value", async () => {
    const counts = new Map<string, number>();
    for (const e of parsed) counts.set(e.request.path, (counts.get(e.request.path) ?? 0) + 1);
    const expected = [...counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([value, count]) => ({ kind: "group", field: "path", value, count }));
    expect(await run("count by path")).toEqual(expected);
  });

  it("count by policy counts an entry once per distinct value", async () => {
    const out = await run("count by policy");
    expect(out).toEqual([
      { kind: "group", field: "policy", value: "default", count: parsed.length },
      { kind: "group", field: "policy", value: "dev-team", count: 2 },
    ]);
  });

  it("top 2 path is count by path cut at 2", async () => {
    expect(await run("top 2 path")).toEqual((await run("count by path")).slice(0, 2));
  });

  it("distinct then count counts distinct values", async () => {
    expect(await run("distinct ip | count")).toEqual([
      { kind: "count", count: new Set(parsed.flatMap(ipOf)).size },
    ]);
  });
});

describe("fields", () => {
  it("projects rows: null when absent, an array when several", async () => {
    const out = await run("fields time, ip, response.data.username");
    expect(out).toHaveLength(parsed.length);
    expect(out[0]).toEqual({
      kind: "row",
      columns: ["time", "ip", "response.data.username"],
      values: ["2026-01-01T00:00:00Z", "10.0.0.5", null],
    });
    expect(out[1]).toMatchObject({ values: ["2026-01-01T00:00:00.5Z", "10.0.0.5", "v-app-1"] });
    expect(out[4]).toMatchObject({
      values: [parsed[4]!.time, ["10.0.0.2", "10.0.0.9"], null],
    });
  });
});

describe("sort", () => {
  it("sorts by time as instants (offsets honoured), stable", async () => {
    const expected = parsed
      .map((e, i) => ({ i, t: instant(e.time) }))
      .sort((a, b) => a.t - b.t || a.i - b.i)
      .map((x) => x.i);
    const out = await run("sort time");
    expect(out.map((o) => (o as { record: MatchedRecord }).record.id)).toEqual(expected);
    expect((out[0] as { record: MatchedRecord }).record.id).toBe(2); // 00:01+01:00 is 23:01Z the day before
  });

  it("sort desc reverses but keeps entries without the field last", async () => {
    const out = await run("sort response.data.ttl desc");
    const ttls = out.map(
      (o) => (o as { record: MatchedRecord }).record.entry().response as Obj | undefined,
    );
    const values = ttls.map((r) => r?.data?.ttl);
    const present = values.filter((v) => v !== undefined);
    expect(present).toEqual([...present].sort((a, b) => b - a));
    expect(values.slice(present.length).every((v) => v === undefined)).toBe(true);
    expect(present[0]).toBe(7200); // numerically, not as text ("9" > "7200")
  });

  it("sorts distinct values and count-by groups by their field", async () => {
    const out = await run("distinct path | sort path desc");
    const values = out.map((o) => (o as { value: string }).value);
    expect(values).toEqual(
      [...new Set(parsed.map((e) => e.request.path as string))].sort().reverse(),
    );
  });
});

describe("limit", () => {
  it("takes the first N and stops pulling upstream", async () => {
    let pulled = 0;
    let closed = false;
    async function* source(): AsyncIterable<MatchedRecord> {
      try {
        for (const r of records) {
          pulled++;
          yield r;
        }
      } finally {
        closed = true;
      }
    }
    const out = await collect(runStages(source(), parseQuery("| limit 3").stages, ctx));
    expect(out.map((o) => (o as { record: MatchedRecord }).record.id)).toEqual([0, 1, 2]);
    expect(pulled).toBe(3);
    expect(closed).toBe(true);
  });

  it("limit 0 pulls nothing", async () => {
    let pulled = 0;
    async function* source(): AsyncIterable<MatchedRecord> {
      for (const r of records) {
        pulled++;
        yield r;
      }
    }
    expect(await collect(runStages(source(), parseQuery("| limit 0").stages, ctx))).toEqual([]);
    expect(pulled).toBe(0);
  });

  it("limits leases and groups too", async () => {
    expect(await run("leases | limit 2")).toHaveLength(2);
    expect(await run("count by path | limit 1")).toEqual((await run("count by path")).slice(0, 1));
  });
});

describe("timeline", () => {
  it("buckets by the interval, empty buckets included, counts add up", async () => {
    const out = (await run("timeline 5m")) as Extract<StageOutput, { kind: "bucket" }>[];
    const times = parsed.map((e) => instant(e.time));
    const first = Math.floor(Math.min(...times) / 300_000);
    const last = Math.floor(Math.max(...times) / 300_000);
    expect(out).toHaveLength(last - first + 1);
    expect(out.reduce((n, b) => n + b.count, 0)).toBe(parsed.length);
    for (const b of out) {
      expect(b.intervalMs).toBe(300_000);
      expect(b.count).toBe(times.filter((t) => t >= b.startMs && t < b.startMs + 300_000).length);
    }
  });

  it("picks an interval when none is given", async () => {
    const out = (await run("timeline")) as Extract<StageOutput, { kind: "bucket" }>[];
    expect(out.length).toBeGreaterThan(1);
    expect(out.length).toBeLessThanOrEqual(60);
    expect(out.reduce((n, b) => n + b.count, 0)).toBe(parsed.length);
  });
});

describe("pair", () => {
  it("joins each match with its partner by request id, once per request id", async () => {
    const out = (await run("pair")) as Extract<StageOutput, { kind: "pair" }>[];
    const ids = [...new Set(parsed.map((e) => e.request.id as string))];
    expect(out.map((p) => p.requestId)).toEqual(ids);
    const r1 = out.find((p) => p.requestId === "r1")!;
    expect(r1.request?.id).toBe(0);
    expect(r1.response?.id).toBe(1);
    expect(out.find((p) => p.requestId === "r5")).toMatchObject({ response: null });
    expect(out.find((p) => p.requestId === "r7")).toMatchObject({ request: null });
    expect(out.find((p) => p.requestId === "r6")?.response?.id).toBe(10); // kmip-response
  });

  it("finds the partner through the context when only one side matched", async () => {
    const out = (await collect(
      runStages(stream([records[5]!]), parseQuery("| pair").stages, ctx),
    )) as Extract<StageOutput, { kind: "pair" }>[];
    expect(out).toHaveLength(1);
    expect(out[0]!.request?.id).toBe(4);
    expect(out[0]!.response?.id).toBe(5);
  });
});

it("no stages: the records themselves", async () => {
  const out = await collect(runStages(stream(records), [], ctx));
  expect(out.map((o) => (o as { record: MatchedRecord }).record)).toEqual(records);
});
