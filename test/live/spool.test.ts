// The spool on its own: each peer's whole lines appended to files of its own, its source beside
// each, files rotated by size with private modes, each file indexed by path (equal heads are
// still different files) with its peer's source, closed files (never an open one) deleted once
// committed. (One listener per index is the writer lock's job: test/store/writer-lock.test.ts.)
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { Indexer } from "../../src/ingest/index-files.js";
import { openIndex } from "../../src/index-api.js";
import { runQuery } from "../../src/query/run-query.js";
import { SpoolIndexer } from "../../src/live/spool-indexer.js";
import { listSpoolFiles, sourceFileOf, SpoolWriter } from "../../src/live/spool.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { entryLine, indexedIds } from "./live-helpers.js";

const tempDir = tempDirs("bg-spool-");
const open: Indexer[] = [];
afterEach(async () => {
  for (const ix of open.splice(0)) await ix.close();
});

/** `* | count by source` as source → count. */
async function countBySource(db: string): Promise<Record<string, number>> {
  const ix = openIndex(db);
  try {
    const out: Record<string, number> = {};
    for await (const item of (await runQuery(ix.engine, "* | count by source")).items) {
      if (item.kind === "group") out[String(item.value)] = item.count;
    }
    return out;
  } finally {
    await ix.close();
  }
}

describe("spool", () => {
  test("rotates by size, 0600 files, and the indexer deletes closed files once committed", async () => {
    const db = path.join(tempDir(), "db");
    const dir = path.join(db, "spool");
    const indexer = await Indexer.open(db, { workers: 1 });
    open.push(indexer);
    const spool = new SpoolIndexer(indexer, dir, {
      warnBytes: 1,
      onWarning: (m) => warnings.push(m),
    });
    const warnings: string[] = [];
    const closed: string[] = [];
    const writer = new SpoolWriter(dir, 1000, (file) => {
      closed.push(file);
      spool.fileClosed(file);
    });
    const peer = writer.peer("tcp://127.0.0.1:8200 from 127.0.0.1:40000");
    // The same entries again and again: equal heads, yet every spool file is its own file.
    const line = Buffer.from(entryLine("same", { time: "2024-01-01T00:00:00Z" }) + "\n");
    for (let i = 0; i < 40; i++) peer.append([line]);
    expect(closed.length).toBeGreaterThan(3);
    for (const f of listSpoolFiles(dir)) {
      expect(fs.statSync(f.path).mode & 0o777).toBe(0o600);
      expect(fs.statSync(sourceFileOf(f.path)).mode & 0o777).toBe(0o600);
    }
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);

    const before = listSpoolFiles(dir).reduce((n, f) => n + f.bytes, 0);
    expect(before).toBe(40 * line.length);
    const step = await spool.step();
    expect(step.summary.records).toBe(40);
    expect(step.backlogBytes).toBe(0);
    // The file still appended to stays; the closed ones and their sources are gone.
    expect(listSpoolFiles(dir).map((f) => f.path)).toEqual([peer.current]);
    expect(fs.readdirSync(dir).sort()).toEqual(
      [peer.current!, sourceFileOf(peer.current!)].map((f) => path.basename(f)).sort(),
    );
    for (let i = 0; i < 5; i++) peer.append([line]);
    writer.close();
    expect((await spool.step(true)).summary.records).toBe(5);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(await indexedIds(db)).toHaveLength(45);

    expect(warnings).toEqual([]); // nothing left behind: no backlog to warn about
  });

  test("each peer's lines go to files of its own, indexed with that peer's source and in its order", async () => {
    const db = path.join(tempDir(), "db");
    const dir = path.join(db, "spool");
    const indexer = await Indexer.open(db, { workers: 1 });
    open.push(indexer);
    const spool = new SpoolIndexer(indexer, dir);
    const writer = new SpoolWriter(dir, 1 << 20, (file) => spool.fileClosed(file));
    const a = writer.peer("tcp://127.0.0.1:8200 from 127.0.0.1:40001");
    const b = writer.peer("tcp://127.0.0.1:8200 from 127.0.0.1:40002");
    const silent = writer.peer("tcp://127.0.0.1:8200 from 127.0.0.1:40003");
    const send = (p: typeof a, id: string) => p.append([Buffer.from(entryLine(id) + "\n")]);
    // Interleaved as two Vault nodes would send them.
    for (let i = 0; i < 6; i++) {
      send(a, `a-${i}`);
      send(b, `b-${i}`);
    }
    expect(listSpoolFiles(dir)).toHaveLength(2); // the silent peer made no file
    a.close();
    await spool.step();
    // a is closed and committed: gone; b is still open: kept although committed.
    expect(listSpoolFiles(dir).map((f) => f.path)).toEqual([b.current]);
    silent.close();
    writer.close();
    await spool.step(true);
    expect(fs.readdirSync(dir)).toEqual([]);

    expect(await countBySource(db)).toEqual({
      "tcp://127.0.0.1:8200 from 127.0.0.1:40001": 6,
      "tcp://127.0.0.1:8200 from 127.0.0.1:40002": 6,
    });
    const ids = await indexedIds(db);
    expect(ids.filter((id) => id.startsWith("a-"))).toEqual([
      "a-0",
      "a-1",
      "a-2",
      "a-3",
      "a-4",
      "a-5",
    ]);
    expect(ids.filter((id) => id.startsWith("b-"))).toEqual([
      "b-0",
      "b-1",
      "b-2",
      "b-3",
      "b-4",
      "b-5",
    ]);
  });

  test("a spool file left by a past run is closed; one without a source gets the fallback", async () => {
    const db = path.join(tempDir(), "db");
    const dir = path.join(db, "spool");
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Spooled before sources were kept: no .source beside it; and an orphaned .source.
    fs.writeFileSync(path.join(dir, "spool-0000000000-1.log"), entryLine("old") + "\n", {
      mode: 0o600,
    });
    fs.writeFileSync(path.join(dir, "spool-0000000007-1.source"), "tcp://x from y");
    const indexer = await Indexer.open(db, { workers: 1 });
    open.push(indexer);
    const spool = new SpoolIndexer(indexer, dir);
    spool.setFallbackSource("listen tcp 127.0.0.1:8200");
    expect(fs.readdirSync(dir)).toEqual(["spool-0000000000-1.log"]);
    await spool.step();
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(await countBySource(db)).toEqual({ "listen tcp 127.0.0.1:8200": 1 });
  });
});
