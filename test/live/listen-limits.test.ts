// What a peer can make `breakglass listen` hold, through the built bin and its flags: connections
// past --max-connections are closed while the others stay open; a connection that stops in
// mid-line is closed after --idle-timeout and its partial line is a bad line; a line longer than
// --max-line-bytes is dropped (a bad line) without the listener's memory growing with it; the unix socket
// is 0600 even under umask 000 (--socket-mode widens it); binding 0.0.0.0 is warned about.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { runBin as runBinToEnd } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  entryLine,
  indexedIds,
  rssBytes,
  runBin,
  startListen,
  waitFor,
  type Running,
} from "./live-helpers.js";

const tempDir = tempDirs("bg-listen-limits-");
const clients: net.Socket[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});

function connect(target: { port: number } | { path: string }): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s =
      "port" in target
        ? net.connect(target.port, "127.0.0.1", () => resolve(s))
        : net.connect(target.path, () => resolve(s));
    s.on("error", reject);
    clients.push(s);
  });
}

function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once("close", () => resolve());
  });
}

async function write(socket: net.Socket, data: Buffer | string): Promise<void> {
  if (!socket.write(data)) await new Promise((r) => socket.once("drain", r));
}

async function stop(l: Running): Promise<void> {
  l.proc.kill("SIGTERM");
  expect(await l.exited).toBe(0);
}

async function badLines(db: string): Promise<number> {
  const r = await runBinToEnd(["stats", "--db", db], {});
  return Number(/bad lines\s+(\d+)/.exec(r.stdout)?.[1]);
}

describe("breakglass listen limits", () => {
  test("--max-connections 3: a fourth connection is closed while three are open, and accepted once one closes", async () => {
    const db = path.join(tempDir(), "db");
    const l = await startListen(db, ["--tcp", "127.0.0.1:0", "--max-connections", "3"]);
    const open = await Promise.all([1, 2, 3].map(() => connect({ port: l.tcpPort! })));
    const fourth = await connect({ port: l.tcpPort! });
    await closed(fourth);
    await waitFor("the refusal on stderr", () => l.stderr.includes("refused"));
    expect(l.stderr).toMatch(/refused: 3 connections are open \(--max-connections 3\)/);
    expect(open.every((s) => !s.destroyed)).toBe(true);
    open[0]!.destroy();
    // Once one has gone, a new connection is served: its entry gets indexed.
    const fifth = await waitFor("a connection that stays", async () => {
      const s = await connect({ port: l.tcpPort! });
      await new Promise((r) => setTimeout(r, 200));
      return s.destroyed ? undefined : s;
    });
    await write(fifth, entryLine("fifth") + "\n");
    await waitFor("its entry indexed", async () => (await indexedIds(db)).includes("fifth"));
    await stop(l);
    expect(l.stderr).toMatch(/refused [1-9]\d* connections/);
  });

  test("--idle-timeout 0.5: a connection that stops in mid-line is closed and its partial line is a bad line", async () => {
    const dir = tempDir();
    const db = path.join(dir, "db");
    const sock = path.join(dir, "vault.sock");
    const l = await startListen(db, ["--unix", sock, "--idle-timeout", "0.5"]);
    const idle = await connect({ path: sock });
    const midLine = await connect({ path: sock });
    await write(idle, entryLine("whole") + "\n");
    await write(midLine, entryLine("cut").slice(0, 60));
    await closed(midLine);
    await waitFor("the closing on stderr", () => l.stderr.includes("middle of a line"));
    expect(l.stderr).toMatch(/sent nothing for 0.5 s in the middle of a line \(--idle-timeout\)/);
    await new Promise((r) => setTimeout(r, 1000));
    expect(idle.destroyed).toBe(false);
    await stop(l);
    expect(l.stderr).toMatch(/closed 1 connections idle in mid-line/);
    expect(await indexedIds(db)).toEqual(["whole"]);
    expect(await badLines(db)).toBe(1);
  });

  test("--max-line-bytes 65536: a 160 MiB line is dropped as a bad line and the listener does not hold it", async () => {
    const dir = tempDir();
    const db = path.join(dir, "db");
    const sock = path.join(dir, "vault.sock");
    const l = await startListen(db, ["--unix", sock, "--max-line-bytes", "65536"]);
    const s = await connect({ path: sock });
    await write(s, entryLine("before") + "\n");
    await waitFor("the first entry indexed", async () => (await indexedIds(db)).length === 1);
    const rssBefore = rssBytes(l.proc.pid!);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssBytes(l.proc.pid!))), 20);
    const junk = Buffer.alloc(1 << 20, "x");
    for (let i = 0; i < 160; i++) await write(s, junk);
    await write(s, "\n" + entryLine("after") + "\n");
    await waitFor("the entry after it indexed", async () => (await indexedIds(db)).length === 2);
    clearInterval(sampler);
    await stop(l);
    expect(await indexedIds(db)).toEqual(["before", "after"]);
    expect(await badLines(db)).toBe(1);
    expect(l.stderr).toMatch(/dropped a line longer than 65536 bytes \(--max-line-bytes\)/);
    expect(l.stderr).toMatch(/dropped 1 over-long lines/);
    // The line was never buffered (it used to be, up to 64 MiB a connection): what is left is
    // the reads' garbage, ~35 MB whether the line is 48 or 400 MiB.
    expect(rssPeak - rssBefore).toBeLessThan(48 << 20);
  });

  test("under umask 000 the unix socket is 0600; --socket-mode 660 widens it; a bad mode is a usage error", async () => {
    const dir = tempDir();
    const sock = path.join(dir, "vault.sock");
    const l = await startListen(path.join(dir, "db"), ["--unix", sock], {}, { umask: "000" });
    expect(fs.statSync(sock).mode & 0o777).toBe(0o600);
    await stop(l);
    expect(fs.existsSync(sock)).toBe(false);
    const wide = await startListen(
      path.join(dir, "db"),
      ["--unix", sock, "--socket-mode", "660"],
      {},
      { umask: "000" },
    );
    expect(fs.statSync(sock).mode & 0o777).toBe(0o660);
    await stop(wide);
    const bad = runBin([
      "listen",
      "--db",
      path.join(dir, "db"),
      "--unix",
      sock,
      "--socket-mode",
      "rw",
    ]);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr).toMatch(/--socket-mode rw: expected an octal mode/);
  });

  test.each([
    [["--max-connections", "0"], /--max-connections.*expected a whole number ≥ 1/],
    [["--max-line-bytes", "1.5"], /--max-line-bytes.*expected a whole number ≥ 1/],
    [["--idle-timeout", "0"], /--idle-timeout.*expected seconds > 0/],
    [["--idle-timeout", "9999999"], /--idle-timeout.*at most 2147483/],
  ])("listen %j is a usage error", async (flags, message) => {
    const db = path.join(tempDir(), "db");
    const r = runBin(["listen", "--db", db, "--tcp", "127.0.0.1:0", ...flags]);
    expect(await r.exited).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  test("--tcp 0.0.0.0:0 warns that anyone who can reach it can write entries; 127.0.0.1 does not", async () => {
    const dir = tempDir();
    const l = await startListen(path.join(dir, "db"), ["--tcp", "0.0.0.0:0"]);
    await waitFor("the warning", () => l.stderr.includes("non-loopback"));
    expect(l.stderr).toMatch(
      /breakglass: tcp 0\.0\.0\.0:\d+: listening on a non-loopback address: anyone who can reach it can write audit entries into this index/,
    );
    await stop(l);
    const local = await startListen(path.join(dir, "db"), ["--tcp", "127.0.0.1:0"]);
    await stop(local);
    expect(local.stderr).not.toMatch(/non-loopback/);
  });
});
