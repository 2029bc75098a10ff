// Segment compaction: an index built from many tiny commits (as the live loop makes) answers
// exactly as before once its small segments are merged — every line by id, postings per field,
// queries through the engine — and a reader opened before the merge still reads its snapshot.
// The tiny segments of peers of one listener alternate (one spool file each); they merge into
// one segment per peer, each peer's records in the order sent and with its own source.
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { openIndex, type BreakglassIndex } from "../../src/index-api.js";
import { Indexer } from "../../src/ingest/index-files.js";
import { SpoolIndexer } from "../../src/live/spool-indexer.js";
import { SpoolWriter } from "../../src/live/spool.js";
import { runQuery } from "../../src/query/run-query.js";
import { compactSegments, smallSegmentCount } from "../../src/store/compact-segments.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { entryLine } from "./live-helpers.js";

const tempDir = tempDirs("bg-compact-");
const SALT = "compact-salt";
const closing: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of closing.splice(0).reverse()) await c.close();
});

/** A log indexed in many small appends: one small segment per append. */
async function tinySegments(
  appends: number,
): Promise<{ db: string; indexer: Indexer; lines: string[] }> {
  const dir = tempDir();
  const log = path.join(dir, "audit.log");
  const db = path.join(dir, "db");
  const lines = [...generateAuditLines({ seed: 7, targetBytes: 600_000, salt: SALT })];
  const indexer = await Indexer.open(db, { workers: 1 });
  closing.push(indexer);
  fs.writeFileSync(log, "");
  const per = Math.ceil(lines.length / appends);
  for (let i = 0; i < lines.length; i += per) {
    fs.appendFileSync(
      log,
      lines
        .slice(i, i + per)
        .map((l) => l + "\n")
        .join(""),
    );
    await indexer.indexPaths([log]);
  }
  return { db, indexer, lines };
}

async function answers(ix: BreakglassIndex, queries: readonly string[]) {
  const out: Record<string, number[]> = {};
  for (const q of queries) {
    const ids: number[] = [];
    for await (const r of ix.records(q)) ids.push((r as { id: number }).id);
    out[q] = ids;
  }
  return out;
}

const QUERIES = [
  "op = read",
  "ip in 10.0.0.0/8",
  'path ^= "secret/"',
  "exists lease",
  "type = response and op = update",
  "time >= 2018-01-01T00:00:00Z",
];

describe("compactSegments", () => {
  test("merged segments answer exactly as the tiny ones did", async () => {
    const { db, indexer, lines } = await tinySegments(60);
    const before = openIndex(db);
    closing.push(before);
    expect(smallSegmentCount(indexer.env)).toBeGreaterThan(50);
    const field = (name: string, value: string) =>
      [name, value, before.postings(name, value)] as const;
    const sample = lines
      .slice(0, 400)
      .map(
        (l) =>
          JSON.parse(l) as { request?: { remote_address?: string; path?: string; id?: string } },
      );
    const probes = sample.flatMap((e) => [
      ...(e.request?.remote_address ? [field("ip", e.request.remote_address)] : []),
      ...(e.request?.path ? [field("path", e.request.path)] : []),
      ...(e.request?.id ? [field("request_id", e.request.id)] : []),
    ]);
    const queriesBefore = await answers(before, QUERIES);
    const linesBefore = Array.from({ length: before.recordCount }, (_, i) =>
      before.line(i).toString(),
    );

    const result = compactSegments(indexer.env, indexer.indexWriter);
    expect(result.merged).toBeGreaterThan(50);
    expect(smallSegmentCount(indexer.env)).toBeLessThan(5);

    // A reader opened before the merge still reads its snapshot, segment list and all (after a
    // turn of the event loop, when lmdb would have renewed an unpinned read transaction).
    await new Promise((r) => setTimeout(r, 50));
    expect(Array.from({ length: before.recordCount }, (_, i) => before.line(i).toString())).toEqual(
      linesBefore,
    );
    expect(await answers(before, QUERIES)).toEqual(queriesBefore);

    const after = openIndex(db);
    closing.push(after);
    expect(after.stats().segments).toBeLessThan(5);
    expect(after.recordCount).toBe(lines.length);
    expect(Array.from({ length: after.recordCount }, (_, i) => after.line(i).toString())).toEqual(
      linesBefore,
    );
    for (const [name, value, ids] of probes)
      expect([name, value, after.postings(name, value)]).toEqual([name, value, ids]);
    expect(after.postingsInCidr("10.0.0.0/8")).toEqual(before.postingsInCidr("10.0.0.0/8"));
    expect(await answers(after, QUERIES)).toEqual(queriesBefore);
    expect(Object.values(queriesBefore).some((ids) => ids.length > 0)).toBe(true);

    // Indexing continues after a merge with fresh ids, and a second pass is a no-op.
    expect(compactSegments(indexer.env, indexer.indexWriter).merged).toBe(0);
  });

  test("alternating segments of two listener peers merge into one per peer, in order and with its source", async () => {
    const db = path.join(tempDir(), "db");
    const indexer = await Indexer.open(db, { workers: 1 });
    closing.push(indexer);
    const spoolDir = path.join(db, "spool");
    const spool = new SpoolIndexer(indexer, spoolDir);
    const writer = new SpoolWriter(spoolDir, 1 << 20, (f) => spool.fileClosed(f));
    const peers = ["127.0.0.1:40001", "127.0.0.1:40002"].map((p) =>
      writer.peer(`tcp://127.0.0.1:8200 from ${p}`),
    );
    const sent: string[][] = [[], []];
    // Both peers send in every step: their segments alternate, A1 B1 A2 B2 …
    for (let step = 0; step < 12; step++) {
      peers.forEach((peer, p) => {
        const ids = [0, 1, 2].map((i) => `p${p}-${step}-${i}`);
        peer.append([Buffer.from(ids.map((id) => entryLine(id) + "\n").join(""))]);
        sent[p]!.push(...ids);
      });
      await spool.step();
    }
    writer.close();
    await spool.step(true);
    expect(smallSegmentCount(indexer.env)).toBe(24);

    const result = compactSegments(indexer.env, indexer.indexWriter);
    expect(result).toEqual({ merged: 24, into: 2 });
    expect(compactSegments(indexer.env, indexer.indexWriter).merged).toBe(0);

    const ix = openIndex(db);
    closing.push(ix);
    expect(ix.stats().segments).toBe(2);
    const ids = Array.from(
      { length: ix.recordCount },
      (_, i) => (JSON.parse(ix.line(i).toString()) as { request: { id: string } }).request.id,
    );
    expect(ids).toEqual([...sent[0]!, ...sent[1]!]);
    const bySource: Record<string, number[]> = {};
    for (const p of ["127.0.0.1:40001", "127.0.0.1:40002"]) {
      const source = `tcp://127.0.0.1:8200 from ${p}`;
      const found: number[] = [];
      for await (const r of ix.records(`source = "${source}"`))
        found.push((r as { id: number }).id);
      bySource[source] = found;
    }
    expect(bySource).toEqual({
      "tcp://127.0.0.1:8200 from 127.0.0.1:40001": Array.from({ length: 36 }, (_, i) => i),
      "tcp://127.0.0.1:8200 from 127.0.0.1:40002": Array.from({ length: 36 }, (_, i) => 36 + i),
    });
    const groups: Record<string, number> = {};
    for await (const item of (await runQuery(ix.engine, "* | count by source")).items) {
      if (item.kind === "group") groups[String(item.value)] = item.count;
    }
    expect(groups).toEqual({
      "tcp://127.0.0.1:8200 from 127.0.0.1:40001": 36,
      "tcp://127.0.0.1:8200 from 127.0.0.1:40002": 36,
    });
  });
});
