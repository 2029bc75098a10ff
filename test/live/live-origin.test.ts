// `listen --device` and `index --follow --device` label what they index: field `device`, and
// field `source` says where it came from (the listener's endpoint and the peer that sent it, or
// the followed file). Each peer of a listener (a TCP connection, a UDP sender, a unix-socket
// client) is its own source, queried through the built bin as a responder would.
import dgram from "node:dgram";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { openIndex } from "../../src/index-api.js";
import { runQuery } from "../../src/query/run-query.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  entryLine,
  indexedIds,
  recordCount,
  runBin,
  sendLines,
  startListen,
  waitFor,
} from "./live-helpers.js";

const tempDir = tempDirs("bg-live-origin-");

/** A connection to the listener (TCP port or unix path), open, and its local port (TCP). */
function connectTo(target: { port: number } | { path: string }): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = "port" in target ? net.connect(target.port, "127.0.0.1") : net.connect(target.path);
    s.once("error", reject);
    s.once("connect", () => resolve(s));
  });
}

function writeLine(s: net.Socket, line: string): Promise<void> {
  return new Promise((resolve, reject) => s.write(line + "\n", (e) => (e ? reject(e) : resolve())));
}

/** `breakglass query` through the bin: its stdout (exit 0 asserted). */
async function query(db: string, q: string): Promise<string> {
  const r = runBin(["query", "--db", db, q]);
  const code = await r.exited;
  expect(code, r.stderr).toBe(0);
  return r.stdout;
}

/** `* | count by F` as value → count. */
async function countBy(db: string, field: string): Promise<Record<string, number>> {
  const ix = openIndex(db);
  try {
    const out: Record<string, number> = {};
    for await (const item of (await runQuery(ix.engine, `* | count by ${field}`)).items) {
      if (item.kind === "group") out[String(item.value)] = item.count;
    }
    return out;
  } finally {
    await ix.close();
  }
}

describe("live indexing labels its records", () => {
  test("listen --device: every record has the device and the listener as its source", async () => {
    const db = path.join(tempDir(), "db");
    const l = await startListen(db, ["--tcp", "127.0.0.1:0", "--device", "vault-2"]);
    const lines = Array.from({ length: 25 }, (_, i) => entryLine(`req-${i}`));
    await sendLines({ port: l.tcpPort! }, lines);
    await waitFor("all indexed", async () => (await recordCount(db)) >= lines.length);
    l.proc.kill("SIGTERM");
    expect(await l.exited).toBe(0);
    expect(await countBy(db, "device")).toEqual({ "vault-2": lines.length });
    const sources = await countBy(db, "source");
    expect(Object.values(sources)).toEqual([lines.length]);
    expect(Object.keys(sources)[0]).toMatch(
      new RegExp(`^tcp://127\\.0\\.0\\.1:${l.tcpPort} from 127\\.0\\.0\\.1:\\d+$`),
    );
  });

  test("listen: each record's source is the endpoint and its own peer, for TCP, UDP and a unix socket", async () => {
    const dir = tempDir();
    const db = path.join(dir, "db");
    const sock = path.join(dir, "vault.sock");
    const l = await startListen(db, [
      "--tcp",
      "127.0.0.1:0",
      "--udp",
      "127.0.0.1:0",
      "--unix",
      sock,
    ]);
    const tcp = `tcp://127.0.0.1:${l.tcpPort}`;
    const udp = `udp://127.0.0.1:${l.udpPort}`;
    // Two Vault nodes on TCP (two local ports), their entries interleaved in time.
    const a = await connectTo({ port: l.tcpPort! });
    const b = await connectTo({ port: l.tcpPort! });
    const [aPort, bPort] = [a.localPort!, b.localPort!];
    expect(aPort).not.toBe(bPort);
    for (let i = 0; i < 12; i++) {
      await writeLine(a, entryLine(`a-${i}`));
      if (i < 7) await writeLine(b, entryLine(`b-${i}`));
    }
    const u = await connectTo({ path: sock });
    for (let i = 0; i < 3; i++) await writeLine(u, entryLine(`u-${i}`));
    const sender = dgram.createSocket("udp4");
    await new Promise<void>((r) => sender.bind(0, "127.0.0.1", () => r()));
    const senderPort = sender.address().port;
    for (let i = 0; i < 4; i++) {
      await new Promise<void>((r, j) =>
        sender.send(entryLine(`d-${i}`) + "\n", l.udpPort!, "127.0.0.1", (e) => (e ? j(e) : r())),
      );
    }
    sender.close();
    await waitFor("all indexed", async () => (await recordCount(db)) >= 12 + 7 + 3 + 4);
    for (const s of [a, b, u]) s.end();
    l.proc.kill("SIGTERM");
    expect(await l.exited).toBe(0);

    const peerA = `${tcp} from 127.0.0.1:${aPort}`;
    const peerB = `${tcp} from 127.0.0.1:${bPort}`;
    const peerU = `unix://${sock} from (unnamed)`;
    const peerD = `${udp} from 127.0.0.1:${senderPort}`;
    const groups = Object.fromEntries(
      (await query(db, "* | count by source"))
        .trim()
        .split("\n")
        .map((row) => row.split("\t"))
        .map(([source, n]) => [source, Number(n)]),
    );
    expect(groups).toEqual({ [peerA]: 12, [peerB]: 7, [peerU]: 3, [peerD]: 4 });
    // The listener's endpoint as a prefix finds every peer of it; the exact source, one peer.
    expect(await query(db, `source ^= "${tcp}" | count`)).toBe("19\n");
    expect(await query(db, `source ^= "${tcp} " | count`)).toBe("19\n");
    expect(await query(db, `source = "${peerB}" | count`)).toBe("7\n");
    expect(await query(db, `source ^= "unix://" | count`)).toBe("3\n");
    expect(await query(db, `source = "${peerD}" | count`)).toBe("4\n");
    // Each connection's records keep the order it sent them in.
    const ids = await indexedIds(db);
    expect(ids.filter((id) => id.startsWith("a-"))).toEqual(
      Array.from({ length: 12 }, (_, i) => `a-${i}`),
    );
    expect(ids.filter((id) => id.startsWith("b-"))).toEqual(
      Array.from({ length: 7 }, (_, i) => `b-${i}`),
    );
    // verify knows them for received records by their source, even in a copy of the index
    // elsewhere (where their spool paths say nothing).
    const copy = path.join(dir, "copy");
    fs.cpSync(db, copy, { recursive: true });
    const v = runBin(["verify", "--db", copy]);
    expect(await v.exited, v.stdout + v.stderr).toBe(0);
    for (const peer of [peerA, peerB, peerU, peerD]) {
      expect(v.stdout).toContain(`${peer}: received by listen: no file to read again`);
    }
  });

  test("index --follow --device: the followed file's records carry the label", async () => {
    const dir = tempDir();
    const db = path.join(dir, "db");
    const file = path.join(dir, "audit.log");
    fs.writeFileSync(
      file,
      Array.from({ length: 10 }, (_, i) => entryLine(`f-${i}`) + "\n").join(""),
    );
    const f = runBin(["index", "--follow", "--db", db, "--device", "file-1", file]);
    await waitFor("first lines indexed", async () => (await recordCount(db)) >= 10);
    fs.appendFileSync(file, entryLine("f-late") + "\n");
    await waitFor("the appended line indexed", async () => (await recordCount(db)) >= 11);
    f.proc.kill("SIGTERM");
    await f.exited;
    expect(await countBy(db, "device")).toEqual({ "file-1": 11 });
    expect(await countBy(db, "source")).toEqual({ [file]: 11 });
  });
});
