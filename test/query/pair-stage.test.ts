// `pair` on an index: the same pairs as the old way of finding them (each match's request id looked
// up alone, here computed over the parsed log, independently of src/), for wide and narrow
// matches, on a generated log in many segments and on awkward entries (no request id, ids longer
// than a term that share their first 480 bytes, kmip types, an id on three records); and the
// partners come from a few bulk passes over the request_id dictionary, not a lookup per match.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fieldByName } from "../../src/audit/field-catalog.js";
import { plantedIncidents } from "../../src/demo/generate-log.js";
import { openIndex, type BreakglassIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { runQuery } from "../../src/query/run-query.js";
import { indexGeneratedLog } from "../helpers/generated-index.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  cmp,
  and,
  oracleEntries,
  oracleMatches,
  queryText,
  valueTexts,
  type OEntry,
  type OExpr,
} from "../oracle/query-oracle.js";
import { scanLogs } from "../oracle/scan-log.js";
import { localReader } from "../helpers/local-reader.js";

const SALT = "pair-salt";
const tempDir = tempDirs("bg-pair-");
const ALL: OExpr = { kind: "all" };

interface PairText {
  readonly requestId: string | null;
  readonly request: string | null;
  readonly response: string | null;
}

function sideOf(entry: unknown): "request" | "response" | undefined {
  const type = (entry as { type: string }).type;
  if (type === "request" || type.endsWith("-request")) return "request";
  if (type === "response" || type.endsWith("-response")) return "response";
  return undefined;
}

/** The old algorithm over the parsed log: each new request id's records, all of them, in order. */
function referencePairs(entries: readonly OEntry[], where: OExpr): PairText[] {
  const byId = new Map<string, OEntry[]>();
  for (const e of entries) {
    for (const id of new Set(valueTexts(e.entry, "request_id"))) {
      byId.set(id, [...(byId.get(id) ?? []), e]);
    }
  }
  const done = new Set<string>();
  const out: PairText[] = [];
  for (const match of oracleMatches(where, entries, { salt: SALT })) {
    const id = valueTexts(match.entry, "request_id")[0];
    if (id === undefined) {
      const response = sideOf(match.entry) === "response";
      out.push({
        requestId: null,
        request: response ? null : match.line,
        response: response ? match.line : null,
      });
      continue;
    }
    if (done.has(id)) continue;
    done.add(id);
    const partners = byId.get(id) ?? [];
    const all = partners.includes(match) ? partners : [match, ...partners];
    const request = all.find((e) => sideOf(e.entry) === "request");
    const response = all.find((e) => sideOf(e.entry) === "response");
    out.push({ requestId: id, request: request?.line ?? null, response: response?.line ?? null });
  }
  return out;
}

async function enginePairs(index: BreakglassIndex, text: string): Promise<PairText[]> {
  const out: PairText[] = [];
  for await (const item of (await runQuery(index.engine, text)).items) {
    if (item.kind !== "pair") throw new Error(`not a pair: ${item.kind}`);
    out.push({
      requestId: item.requestId,
      request: item.request?.line.toString("utf8") ?? null,
      response: item.response?.line.toString("utf8") ?? null,
    });
  }
  return out;
}

/** Calls `run` while counting reads of the index's term database (LMDB, wrapped). */
async function countTermReads(index: BreakglassIndex, run: () => Promise<unknown>) {
  const terms = localReader(index).env.terms;
  const getBinary = terms.getBinary;
  let reads = 0;
  terms.getBinary = function (this: typeof terms, ...args: Parameters<typeof getBinary>) {
    reads++;
    return getBinary.apply(this, args);
  };
  try {
    await run();
  } finally {
    terms.getBinary = getBinary;
  }
  return reads;
}

describe("on a generated log in many segments", () => {
  const GENERATE = { seed: 9, targetBytes: 2 << 20, salt: SALT };
  const planted = plantedIncidents(GENERATE)!;
  let index: BreakglassIndex;
  let entries: OEntry[];
  beforeAll(async () => {
    ({ index, entries } = await indexGeneratedLog(tempDir, GENERATE, 256 << 10));
    expect(localReader(index).segments.length).toBeGreaterThan(5);
  }, 60_000);
  afterAll(() => index?.close());

  test.each(
    [
      ALL,
      cmp("type", "=", "response"),
      cmp("type", "=", "request"),
      cmp("ip", "=", planted.compromisedIp),
      cmp("path", "^=", "database/creds"),
      and(cmp("op", "=", "update"), cmp("type", "=", "response")),
    ].map((where) => [`${queryText({ where, stages: [] })} | pair`, where] as const),
  )("`%s` gives the old way's pairs", async (text, where) => {
    const expected = referencePairs(entries, where);
    expect(expected.length).toBeGreaterThan(0);
    expect(await enginePairs(index, text)).toEqual(expected);
  });

  test("`* | pair` reads the request_id dictionary in a few bulk passes, not once a match", async () => {
    const reader = localReader(index);
    const code = fieldByName("request_id")!.code;
    const pages = reader.segments.reduce((n, s) => n + (s.fieldPages[code] ?? 0), 0);
    let pairs = 0;
    const reads = await countTermReads(index, async () => {
      for await (const _ of (await runQuery(index.engine, "* | pair")).items) pairs++;
    });
    // Batches of 256, 512, 1024 … request ids, a pass over the pages (and directories) each: five
    // cover these pairs.
    expect(pairs).toBeLessThan(256 + 512 + 1024 + 2048 + 4096);
    expect(reads).toBeLessThanOrEqual(5 * (pages + reader.segments.length));
    // A lookup per request id in every segment would read at least a page each.
    expect(pairs * reader.segments.length).toBeGreaterThan(20 * reads);
  });

  test("`* | pair | limit 3` stops after the first batch's pass", async () => {
    const reader = localReader(index);
    const code = fieldByName("request_id")!.code;
    const pages = reader.segments.reduce((n, s) => n + (s.fieldPages[code] ?? 0), 0);
    let pairs: PairText[] = [];
    const reads = await countTermReads(index, async () => {
      pairs = await enginePairs(index, "* | pair | limit 3");
    });
    expect(pairs).toEqual(referencePairs(entries, ALL).slice(0, 3));
    expect(reads).toBeLessThanOrEqual(pages + reader.segments.length);
  });
});

describe("on awkward entries", () => {
  let index: BreakglassIndex;
  let entries: OEntry[];
  // Two ids that share their first 480 bytes (one term in the index) and differ after.
  const longA = `${"x".repeat(500)}-a`;
  const longB = `${"x".repeat(500)}-b`;
  const line = (type: string, id: string | undefined, i: number): string =>
    JSON.stringify({
      time: `2026-11-20T00:00:${String(i % 60).padStart(2, "0")}Z`,
      type,
      request: { ...(id === undefined ? {} : { id }), path: `secret/p${i % 4}`, operation: "read" },
    });
  beforeAll(async () => {
    const dir = tempDir();
    const specs: [string, string | undefined][] = [
      ["request", longA],
      ["request", "plain-1"],
      ["response", longB],
      ["request", undefined],
      ["response", undefined],
      ["kmip-request", "k-1"],
      ["response", "plain-1"],
      ["request", longB],
      ["kmip-response", "k-1"],
      ["response", longA],
      ["request", "three"],
      ["response", "three"],
      ["response", "three"],
      ["response", "orphan"],
      ["request", "failed"],
    ];
    const lines = specs.map(([type, id], i) => line(type, id, i));
    // Three files: partners in other segments than their match.
    const files = [0, 1, 2].map((k) => path.join(dir, `audit-${k}.log`));
    files.forEach((f, k) =>
      writeFileSync(f, lines.filter((_, i) => i % 3 === k).join("\n") + "\n"),
    );
    entries = oracleEntries(scanLogs(files));
    const db = tempDir();
    await indexFiles(db, files, { workers: 1 });
    index = openIndex(db, { salt: SALT });
  }, 60_000);
  afterAll(() => index?.close());

  test.each(
    [
      ALL,
      cmp("type", "=", "response"),
      cmp("type", "^=", "kmip"),
      cmp("path", "=", "secret/p1"),
      cmp("path", "=", "secret/p2"),
    ].map((where) => [`${queryText({ where, stages: [] })} | pair`, where] as const),
  )("`%s` gives the old way's pairs", async (text, where) => {
    expect(await enginePairs(index, text)).toEqual(referencePairs(entries, where));
  });

  test("ids longer than a term are told apart on the entries", async () => {
    const pairs = await enginePairs(index, "* | pair");
    const a = pairs.find((p) => p.requestId === longA)!;
    expect(JSON.parse(a.request!).request.id).toBe(longA);
    expect(JSON.parse(a.response!).request.id).toBe(longA);
    const b = pairs.find((p) => p.requestId === longB)!;
    expect(JSON.parse(b.request!).request.id).toBe(longB);
  });
});
