// `breakglass listen` as Vault's socket audit device, through the built bin: several concurrent
// writers over TCP, a unix socket and UDP are indexed exactly once and become queryable while the
// listener runs; SIGTERM drains the spool into the index and exits 0; kill -9 between accept and
// index (the indexer held up by another process's LMDB write lock) loses and duplicates nothing.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  entryLine,
  exactlyOnce,
  indexedIds,
  ROOT,
  sendDatagrams,
  sendLines,
  startListen,
  waitFor,
} from "./live-helpers.js";

const tempDir = tempDirs("bg-listen-");

function writerLines(writer: string, n: number, pad = 200): string[] {
  return Array.from({ length: n }, (_, i) => entryLine(`${writer}-${i}`, { pad }));
}

function spoolBytes(db: string): number {
  const dir = path.join(db, "spool");
  let n = 0;
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (f.endsWith(".log")) n += fs.statSync(path.join(dir, f)).size;
  }
  return n;
}

/** Another process holds the index's LMDB write lock for `ms`: the listener's indexer waits. */
function holdWriteLock(db: string, ms: number) {
  const script = `
    import { open } from "lmdb";
    const root = open({ path: process.argv[1], maxDbs: 12, mapSize: 64 * 1024 ** 3 });
    root.transactionSync(() => {
      root.openDB("meta", {}).putSync("held", 1);
      process.stdout.write("locked\\n");
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.argv[2]));
    });`;
  const proc = spawn(
    process.execPath,
    ["--input-type=module", "-e", script, path.join(db, "index.mdb"), String(ms)],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
  );
  const locked = new Promise<void>((resolve) => proc.stdout.once("data", () => resolve()));
  return { proc, locked };
}

describe("breakglass listen", () => {
  test("entries from 4 TCP writers and a unix-socket writer, cut anywhere, are each indexed once and visible while it runs", async () => {
    const dir = tempDir();
    const db = path.join(dir, "db");
    const sock = path.join(dir, "vault.sock");
    const l = await startListen(db, ["--tcp", "127.0.0.1:0", "--unix", sock]);
    const writers = ["a", "b", "c", "d"].map((w) => writerLines(w, 1500));
    const unixLines = writerLines("u", 500);
    await Promise.all([
      ...writers.map((lines, i) => sendLines({ port: l.tcpPort! }, lines, 1000 + i * 3331)),
      sendLines({ path: sock }, unixLines, 999),
    ]);
    const expected = [...writers.flat(), ...unixLines].map((x) => JSON.parse(x).request.id);
    // Visible to another process while the listener keeps running.
    const ids = await waitFor("all entries indexed", async () => {
      const got = await indexedIds(db);
      return got.length >= expected.length ? got : undefined;
    });
    expect(exactlyOnce(ids, expected)).toEqual({ missing: [], duplicated: [] });
    expect(ids).toHaveLength(expected.length);
    l.proc.kill("SIGTERM");
    expect(await l.exited).toBe(0);
    expect(l.stderr).toMatch(/indexed \d+ records/);
    expect(fs.readdirSync(path.join(db, "spool")).filter((f) => f.endsWith(".log"))).toEqual([]);
  });

  test("UDP datagrams are entries too", async () => {
    const db = path.join(tempDir(), "db");
    const l = await startListen(db, ["--udp", "127.0.0.1:0"]);
    const lines = writerLines("udp", 200, 50);
    await sendDatagrams(l.udpPort!, lines);
    // 200 small datagrams fit the loopback receive buffer: none is lost, each is indexed once.
    const ids = await waitFor("datagrams indexed", async () => {
      const got = await indexedIds(db);
      return got.length >= lines.length ? got : undefined;
    });
    l.proc.kill("SIGTERM");
    expect(await l.exited).toBe(0);
    expect(
      exactlyOnce(
        ids,
        ids.map((x) => x),
      ),
    ).toEqual({ missing: [], duplicated: [] });
    expect(
      exactlyOnce(
        await indexedIds(db),
        lines.map((x) => JSON.parse(x).request.id),
      ),
    ).toEqual({
      missing: [],
      duplicated: [],
    });
  });

  test("kill -9 after accepting but before indexing: a restart indexes every spooled entry exactly once", async () => {
    const db = path.join(tempDir(), "db");
    const first = await startListen(db, ["--tcp", "127.0.0.1:0"]);
    await sendLines({ port: first.tcpPort! }, writerLines("warmup", 10));
    await waitFor("warm-up indexed", async () => (await indexedIds(db)).length === 10);
    const blocker = holdWriteLock(db, 20_000);
    await blocker.locked;
    const writers = ["p", "q", "r", "s"].map((w) => writerLines(w, 1000));
    const text = writers
      .flat()
      .map((x) => x + "\n")
      .join("");
    const before = spoolBytes(db);
    await Promise.all(writers.map((lines) => sendLines({ port: first.tcpPort! }, lines)));
    // Accepted: every byte is in the spool, while the indexer waits for the lock.
    await waitFor("spooled", () => spoolBytes(db) - before >= Buffer.byteLength(text));
    expect(await indexedIds(db)).toHaveLength(10); // accepted, not indexed
    first.proc.kill("SIGKILL");
    await first.exited;
    blocker.proc.kill("SIGKILL");
    const second = await startListen(db, ["--tcp", "127.0.0.1:0"]);
    const expected = ["warmup", ...["p", "q", "r", "s"]].flatMap((w) =>
      Array.from({ length: w === "warmup" ? 10 : 1000 }, (_, i) => `${w}-${i}`),
    );
    const ids = await waitFor("replayed from the spool", async () => {
      const got = await indexedIds(db);
      return got.length >= expected.length ? got : undefined;
    });
    second.proc.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    expect(exactlyOnce(await indexedIds(db), expected)).toEqual({ missing: [], duplicated: [] });
    expect(ids).toHaveLength(expected.length);
  });

  test("kill -9 while indexing, then a restart: nothing lost, nothing twice", async () => {
    const db = path.join(tempDir(), "db");
    const first = await startListen(db, ["--tcp", "127.0.0.1:0"]);
    const writers = ["k", "l"].map((w) => writerLines(w, 4000, 1000));
    await Promise.all(writers.map((lines) => sendLines({ port: first.tcpPort! }, lines)));
    // Sent is not accepted: wait until the listener has read it all into its (one) spool file,
    // then kill it while its indexer is busy with that file.
    const total = Buffer.byteLength(
      writers
        .flat()
        .map((x) => x + "\n")
        .join(""),
    );
    await waitFor("accepted", () => spoolBytes(db) >= total);
    first.proc.kill("SIGKILL");
    await first.exited;
    const expected = writers.flat().map((x) => JSON.parse(x).request.id);
    const second = await startListen(db, ["--tcp", "127.0.0.1:0"]);
    await waitFor("replayed", async () => (await indexedIds(db)).length >= expected.length);
    second.proc.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    const ids = await indexedIds(db);
    expect(exactlyOnce(ids, expected)).toEqual({ missing: [], duplicated: [] });
    expect(ids).toHaveLength(expected.length);
  });

  test("a second listener on the same index is refused with --no-wait; bad endpoints are usage errors", async () => {
    const db = path.join(tempDir(), "db");
    const l = await startListen(db, ["--tcp", "127.0.0.1:0"]);
    const again = (await import("./live-helpers.js")).runBin([
      "listen",
      "--no-wait",
      "--db",
      db,
      "--tcp",
      "127.0.0.1:0",
    ]);
    expect(await again.exited).toBe(3);
    expect(again.stderr).toMatch(
      new RegExp(`being written by pid ${l.proc.pid} \\(breakglass listen\\)`),
    );
    l.proc.kill("SIGTERM");
    expect(await l.exited).toBe(0);
    const bad = (await import("./live-helpers.js")).runBin(["listen", "--db", db, "--tcp", "nope"]);
    expect(await bad.exited).toBe(2);
    const none = (await import("./live-helpers.js")).runBin(["listen", "--db", db]);
    expect(await none.exited).toBe(2);
  });
});
