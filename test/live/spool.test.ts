// The spool on its own: whole lines appended, files rotated by size with private modes, each file
// indexed by path (equal heads are still different files), closed files deleted once committed.
// (One listener per index is the writer lock's job: test/store/writer-lock.test.ts.)
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { Indexer } from "../../src/ingest/index-files.js";
import { SpoolIndexer } from "../../src/live/spool-indexer.js";
import { listSpoolFiles, SpoolWriter } from "../../src/live/spool.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { entryLine, indexedIds } from "./live-helpers.js";

const tempDir = tempDirs("bg-spool-");
const open: Indexer[] = [];
afterEach(async () => {
  for (const ix of open.splice(0)) await ix.close();
});

describe("spool", () => {
  test("rotates by size, 0600 files, and the indexer deletes closed files once committed", async () => {
    const db = path.join(tempDir(), "db");
    const dir = path.join(db, "spool");
    const indexer = await Indexer.open(db, { workers: 1 });
    open.push(indexer);
    const rotations: string[] = [];
    const writer = new SpoolWriter(dir, 1000, (closed) => rotations.push(closed));
    // The same entries again and again: equal heads, yet every spool file is its own file.
    const line = Buffer.from(entryLine("same", { time: "2024-01-01T00:00:00Z" }) + "\n");
    for (let i = 0; i < 40; i++) writer.append([line]);
    expect(rotations.length).toBeGreaterThan(3);
    for (const f of listSpoolFiles(dir)) expect(fs.statSync(f.path).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);

    const warnings: string[] = [];
    const spool = new SpoolIndexer(indexer, dir, {
      warnBytes: 1,
      onWarning: (m) => warnings.push(m),
    });
    const before = listSpoolFiles(dir).reduce((n, f) => n + f.bytes, 0);
    expect(before).toBe(40 * line.length);
    const step = await spool.step(writer.current);
    expect(step.summary.records).toBe(40);
    expect(step.backlogBytes).toBe(0);
    expect(listSpoolFiles(dir).map((f) => f.path)).toEqual([writer.current]);
    for (let i = 0; i < 5; i++) writer.append([line]);
    writer.close();
    expect((await spool.step(undefined)).summary.records).toBe(5);
    expect(listSpoolFiles(dir)).toEqual([]);
    expect(await indexedIds(db)).toHaveLength(45);

    expect(warnings).toEqual([]); // nothing left behind: no backlog to warn about
  });
});
