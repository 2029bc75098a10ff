// FileFollower (`index --follow`), one step at a time between file operations that mimic a file
// audit device and logrotate: appends (even half a line), rename + reopen (with Vault still writing
// to the renamed file until its SIGHUP), copytruncate (also when the new content has already
// outgrown the old), and gzip of the rotated file. Every line must be indexed exactly once; a line
// past --max-line-bytes, even one still being written, is one bad line.
import fs from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, test } from "vitest";
import { openIndex } from "../../src/index-api.js";
import { Indexer } from "../../src/ingest/index-files.js";
import { FileFollower } from "../../src/live/follow-file.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { entryLine, exactlyOnce, indexedIds, runBin, waitFor } from "./live-helpers.js";

const tempDir = tempDirs("bg-follow-");
const open: Indexer[] = [];
afterEach(async () => {
  for (const ix of open.splice(0)) await ix.close();
});

function lines(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => entryLine(`${prefix}-${i}`, { pad: 100 }));
}
const text = (ls: readonly string[]): string => ls.map((l) => l + "\n").join("");
const ids = (ls: readonly string[]): string[] => ls.map((l) => JSON.parse(l).request.id);

async function setup() {
  const dir = tempDir();
  const log = path.join(dir, "audit.log");
  const db = path.join(dir, "db");
  let clock = 0;
  const indexer = await Indexer.open(db, { workers: 1 });
  open.push(indexer);
  const follower = new FileFollower(indexer, log, { now: () => clock });
  return {
    dir,
    log,
    db,
    follower,
    advance: (ms: number) => (clock += ms),
    /** What the index holds, read by a reader in another "process" (a fresh env). */
    indexed: () => indexedIds(db),
  };
}

describe("index --follow", () => {
  test("appended lines, including a line written in two halves, are indexed once", async () => {
    const t = await setup();
    const a = lines("a", 100);
    fs.writeFileSync(t.log, text(a));
    await t.follower.step();
    const b = lines("b", 50);
    const bt = text(b);
    fs.appendFileSync(t.log, bt.slice(0, bt.length - 40));
    await t.follower.step();
    fs.appendFileSync(t.log, bt.slice(bt.length - 40));
    await t.follower.step();
    await t.follower.step();
    expect(exactlyOnce(await t.indexed(), ids([...a, ...b]))).toEqual({
      missing: [],
      duplicated: [],
    });
    expect(await t.indexed()).toHaveLength(150);
  });

  test("rename rotation: lines Vault writes to the renamed file before and after the new one appears", async () => {
    const t = await setup();
    const [a1, a2, a3, a4] = ["a1", "a2", "a3", "a4"].map((p) => lines(p, 40));
    const [b1, b2] = ["b1", "b2"].map((p) => lines(p, 40));
    fs.writeFileSync(t.log, text(a1!));
    await t.follower.step();
    fs.appendFileSync(t.log, text(a2!));
    const rotated = path.join(t.dir, "audit.log.1");
    fs.renameSync(t.log, rotated);
    fs.appendFileSync(rotated, text(a3!)); // still writing to the old file
    fs.writeFileSync(t.log, text(b1!)); // reopened after SIGHUP
    const s = await t.follower.step();
    expect(s.rotated).toBe(true);
    fs.appendFileSync(rotated, text(a4!)); // a late write by another thread of Vault
    fs.appendFileSync(t.log, text(b2!));
    await t.follower.step();
    const all = [a1, a2, a3, a4, b1, b2].flatMap((x) => x!);
    expect(exactlyOnce(await t.indexed(), ids(all))).toEqual({ missing: [], duplicated: [] });
    expect(await t.indexed()).toHaveLength(all.length);
    // Quiet for long enough: the rotated file is no longer watched.
    t.advance(60_000);
    await t.follower.step();
    t.advance(60_000);
    await t.follower.step();
    expect(t.follower.drainingCount).toBe(0);
  });

  /** Vault writes a1 (followed), then a2; logrotate copies and truncates; Vault writes b1 (a
   * step sees the rotation), then b2 (not yet followed). */
  async function copytruncate(
    t: Awaited<ReturnType<typeof setup>>,
    a1: string[],
    a2: string[],
    b1: string[],
    b2: string[],
  ): Promise<void> {
    fs.writeFileSync(t.log, text(a1));
    await t.follower.step();
    fs.appendFileSync(t.log, text(a2));
    fs.copyFileSync(t.log, path.join(t.dir, "audit.log.1"));
    fs.truncateSync(t.log, 0);
    fs.appendFileSync(t.log, text(b1));
    expect((await t.follower.step()).rotated).toBe(true);
    fs.appendFileSync(t.log, text(b2));
  }

  test.each([
    ["shorter than before", 10],
    ["already longer than the old content", 200],
  ])("copytruncate, new content %s", async (_name, newLines) => {
    const t = await setup();
    const a1 = lines("a1", 60);
    const a2 = lines("a2", 60);
    const b1 = lines("b1", newLines);
    const b2 = lines("b2", 20);
    await copytruncate(t, a1, a2, b1, b2);
    await t.follower.step();
    const all = [...a1, ...a2, ...b1, ...b2];
    expect(exactlyOnce(await t.indexed(), ids(all))).toEqual({ missing: [], duplicated: [] });
    expect(await t.indexed()).toHaveLength(all.length);
  });

  test.each([
    ["shorter than before", 10],
    ["already longer than the old content", 200],
  ])("copytruncate, new content starting exactly as the old did, %s", async (_name, newLines) => {
    const t = await setup();
    const a1 = lines("a1", 60);
    const a2 = lines("a2", 60);
    // Far more than the 4 KiB identity window is the same as before the truncation.
    const b1 = [...a1.slice(0, 40), ...lines("b1", newLines)];
    const b2 = lines("b2", 20);
    await copytruncate(t, a1, a2, b1, b2);
    expect((await t.follower.step()).rotated).toBe(false);
    expect((await t.follower.step()).records).toBe(0);
    const all = [...a1, ...a2, ...b1, ...b2];
    expect((await t.indexed()).sort()).toEqual(ids(all).sort());
  });

  test("gzip rotation: the rest of the old file is read from its .gz", async () => {
    const t = await setup();
    const a1 = lines("a1", 50);
    const a2 = lines("a2", 50);
    const b1 = lines("b1", 30);
    fs.writeFileSync(t.log, text(a1));
    await t.follower.step();
    fs.appendFileSync(t.log, text(a2));
    const rotated = path.join(t.dir, "audit.log.1");
    fs.renameSync(t.log, rotated);
    fs.writeFileSync(t.log, text(b1));
    fs.writeFileSync(rotated + ".gz", gzipSync(fs.readFileSync(rotated)));
    fs.rmSync(rotated);
    await t.follower.step();
    await t.follower.step();
    const all = [...a1, ...a2, ...b1];
    expect(exactlyOnce(await t.indexed(), ids(all))).toEqual({ missing: [], duplicated: [] });
    expect(await t.indexed()).toHaveLength(all.length);
  });

  test("the bin follows appends and a rotation, and exits 0 on SIGTERM", async () => {
    const dir = tempDir();
    const log = path.join(dir, "audit.log");
    const db = path.join(dir, "db");
    const a = lines("a", 30);
    const b = lines("b", 30);
    fs.writeFileSync(log, text(a));
    const r = runBin(["index", "--follow", log, "--db", db]);
    await waitFor("first lines", async () => (await indexedIds(db)).length === 30);
    fs.renameSync(log, log + ".1");
    fs.writeFileSync(log, text(b));
    r.proc.kill("SIGHUP");
    await waitFor("after rotation", async () => (await indexedIds(db)).length === 60);
    r.proc.kill("SIGTERM");
    expect(await r.exited).toBe(0);
    expect(exactlyOnce(await indexedIds(db), ids([...a, ...b]))).toEqual({
      missing: [],
      duplicated: [],
    });
  });
  test("a line past the limit, seen while Vault was still writing it, is one bad line; its neighbours are indexed once", async () => {
    const dir = tempDir();
    const log = path.join(dir, "audit.log");
    const db = path.join(dir, "db");
    const indexer = await Indexer.open(db, { workers: 1, maxLineBytes: 1 << 20 });
    open.push(indexer);
    // Small chunks: the 3 MiB line is longer than a chunk, so it is skipped as it streams past.
    const follower = new FileFollower(indexer, log, { chunkBytes: 256 << 10 });
    const a = lines("a", 20);
    const b = lines("b", 20);
    const long = entryLine("long", { pad: 3 << 20 });
    fs.writeFileSync(log, text(a) + long.slice(0, 2 << 20));
    const during = await follower.step();
    fs.appendFileSync(log, long.slice(2 << 20) + "\n" + text(b));
    const after = await follower.step();
    await follower.step();
    expect(exactlyOnce(await indexedIds(db), ids([...a, ...b]))).toEqual({
      missing: [],
      duplicated: [],
    });
    expect(await indexedIds(db)).toHaveLength(40);
    const reported = (s: typeof during) => s.summaries.flatMap((x) => x.firstBadLines);
    expect(reported(during).map((r) => [r.line, r.reason])).toEqual([
      [21, `line longer than 1 MiB (${2 << 20} bytes), skipped (last line, no newline)`],
    ]);
    expect(reported(after).map((r) => [r.line, r.reason])).toEqual([
      [21, `line longer than 1 MiB (${long.length} bytes), skipped`],
    ]);
    const ix = openIndex(db);
    try {
      expect(ix.stats({ badLines: true }).badLineList.map((x) => x.line)).toEqual([21]);
    } finally {
      await ix.close();
    }
  });

  test("the bin: --max-line-bytes skips a long line; plaintext tokens are warned about once", async () => {
    const dir = tempDir();
    const log = path.join(dir, "audit.log");
    const db = path.join(dir, "db");
    const raw = (id: string): string =>
      JSON.stringify({ type: "request", request: { id, client_token: `hvs.${id}` } });
    fs.writeFileSync(log, text([raw("r1"), entryLine("long", { pad: 2 << 20 }), raw("r2")]));
    const r = runBin(["index", "--follow", log, "--db", db, "--max-line-bytes", "1048576"]);
    await waitFor("first lines", async () => (await indexedIds(db)).length === 2);
    fs.appendFileSync(log, text([raw("r3"), raw("r4")]));
    await waitFor("appended lines", async () => (await indexedIds(db)).length === 4);
    r.proc.kill("SIGTERM");
    expect(await r.exited).toBe(0);
    expect(r.stderr).toContain(`${log}:2: line longer than 1 MiB (`);
    expect(r.stderr.match(/plaintext tokens/g)).toHaveLength(1);
    expect(r.stderr).toContain(`warning: ${log} holds plaintext tokens (a log_raw audit device)`);
  });
});
