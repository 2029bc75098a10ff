// The socket listener on its own, over real TCP and unix sockets: what a peer can make it hold is
// bounded. An unfinished line past maxLineBytes is dropped (a stand-in that cannot parse takes
// its place) and the rest of it is skipped, never buffered; the unfinished lines of all
// connections together stay under maxBufferedBytes; a connection that stops in mid-line is
// closed after idleTimeoutMs; connections past maxConnections are closed; binding beyond
// loopback is warned about.
import dgram from "node:dgram";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import {
  DEFAULT_LISTENER_LIMITS,
  startSocketListener,
  UDP_OPEN_SENDERS,
  type Endpoint,
  type ListenerLimits,
  type SocketListener,
} from "../../src/live/socket-listener.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { entryLine, waitFor } from "./live-helpers.js";

const tempDir = tempDirs("bg-socket-listener-");
const running: SocketListener[] = [];
const clients: net.Socket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const l of running.splice(0)) await l.close();
});

interface Started {
  listener: SocketListener;
  port: number;
  /** Every line handed to the spool, in order. */
  lines: string[];
  /** The source each peer's sink was opened with, in order, and whether it was closed since. */
  peers: { source: string; lines: string[]; closed: boolean }[];
  warnings: string[];
}

async function start(
  limits: Partial<ListenerLimits>,
  host = "127.0.0.1",
  endpoints?: readonly Endpoint[],
): Promise<Started> {
  const lines: string[] = [];
  const warnings: string[] = [];
  const peers: Started["peers"] = [];
  const listener = await startSocketListener(
    endpoints ?? [{ kind: "tcp", host, port: 0 }],
    (source) => {
      const peer = { source, lines: [] as string[], closed: false };
      peers.push(peer);
      let partial = "";
      return {
        write(pieces) {
          const text = partial + Buffer.concat(pieces).toString("utf8");
          const all = text.split("\n");
          partial = all.pop()!;
          lines.push(...all);
          peer.lines.push(...all);
        },
        close() {
          peer.closed = true;
        },
      };
    },
    (m) => warnings.push(m),
    { ...DEFAULT_LISTENER_LIMITS, ...limits },
  );
  running.push(listener);
  const port = Number(/:(\d+)$/.exec(listener.addresses[0]!)?.[1]);
  return { listener, port, lines, peers, warnings };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
    s.on("error", reject);
    clients.push(s);
  });
}

async function write(socket: net.Socket, data: Buffer | string): Promise<void> {
  if (!socket.write(data)) await new Promise((r) => socket.once("drain", r));
}

function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once("close", () => resolve());
  });
}

const KIB = 1024;

describe("socket listener limits", () => {
  test("an unfinished line past maxLineBytes is dropped and skipped to its newline, never buffered", async () => {
    const l = await start({ maxLineBytes: 64 * KIB });
    const s = await connect(l.port);
    await write(s, entryLine("before") + "\n");
    // 16 MiB without a newline, in 64 KiB writes: the listener must not keep it.
    const junk = Buffer.alloc(64 * KIB, "x");
    for (let i = 0; i < 256; i++) await write(s, junk);
    await write(s, "still the same line\n" + entryLine("after") + "\n");
    await waitFor("the line after the long one", () => l.lines.length >= 3);
    expect(l.listener.stats.droppedLines).toBe(1);
    // At most one line's worth plus one read is ever held.
    expect(l.listener.stats.peakBufferedBytes).toBeLessThanOrEqual(128 * KIB);
    expect(l.listener.stats.bufferedBytes).toBe(0);
    expect(l.lines).toHaveLength(3);
    expect(JSON.parse(l.lines[0]!).request.id).toBe("before");
    // The stand-in is a bad line for the indexer (not JSON), so the drop is counted.
    expect(l.lines[1]).toMatch(
      /^\{"breakglass listen dropped this line": "a line longer than 65536/,
    );
    expect(() => JSON.parse(l.lines[1]!)).toThrow();
    expect(JSON.parse(l.lines[2]!).request.id).toBe("after");
    expect(l.warnings.join("\n")).toMatch(
      /dropped a line longer than 65536 bytes \(--max-line-bytes\)/,
    );
  });

  test("a line that becomes too long in the read that ends it is dropped; the lines after it in that read are kept", async () => {
    const l = await start({ maxLineBytes: 1000 });
    const s = await connect(l.port);
    await write(s, "y".repeat(900));
    await waitFor("the first part read", () => l.listener.stats.bufferedBytes === 900);
    await write(s, "y".repeat(200) + "\n" + entryLine("kept") + "\n");
    await waitFor("two lines", () => l.lines.length >= 2);
    expect(l.listener.stats.droppedLines).toBe(1);
    expect(l.lines[0]).toMatch(/dropped this line/);
    expect(JSON.parse(l.lines[1]!).request.id).toBe("kept");
  });

  test("with a limit below a read's size, an over-long line inside one read is dropped and its neighbours kept", async () => {
    const l = await start({ maxLineBytes: 100 });
    const s = await connect(l.port);
    await write(s, `{"n":1}\n{"long":"${"z".repeat(500)}"}\n{"n":2}\n`);
    await waitFor("three lines", () => l.lines.length >= 3);
    expect(l.lines[0]).toBe('{"n":1}');
    expect(l.lines[1]).toMatch(/dropped this line": "a line longer than 100 bytes/);
    expect(l.lines[2]).toBe('{"n":2}');
    expect(l.listener.stats.droppedLines).toBe(1);
  });

  test("the unfinished lines of all connections together stay under maxBufferedBytes: the largest is dropped", async () => {
    const l = await start({ maxLineBytes: 4 << 20, maxBufferedBytes: 1 << 20 });
    const sockets = await Promise.all([0, 1, 2].map(() => connect(l.port)));
    // 400 KiB, 300 KiB and then 500 KiB of unfinished lines: 1.2 MiB together.
    await write(sockets[0]!, Buffer.alloc(400 * KIB, "a"));
    await write(sockets[1]!, Buffer.alloc(300 * KIB, "b"));
    await waitFor("700 KiB held", () => l.listener.stats.bufferedBytes === 700 * KIB);
    await write(sockets[2]!, Buffer.alloc(500 * KIB, "c"));
    await waitFor("a line dropped", () => l.listener.stats.droppedLines === 1);
    expect(l.listener.stats.peakBufferedBytes).toBeLessThanOrEqual((1 << 20) + 64 * KIB);
    expect(l.warnings.join("\n")).toMatch(
      /unfinished line: all connections together held more than 1048576 bytes/,
    );
    // The others keep theirs: their lines end normally.
    await write(sockets[1]!, "\n");
    await waitFor("b's line", () => l.lines.some((x) => x.startsWith("bbb")));
    expect(l.lines.filter((x) => x.startsWith("bbb"))[0]).toHaveLength(300 * KIB);
  });

  test("a connection that stops in mid-line is closed after idleTimeoutMs; an idle one between lines is not", async () => {
    const l = await start({ idleTimeoutMs: 300 });
    const midLine = await connect(l.port);
    const between = await connect(l.port);
    await write(between, entryLine("whole") + "\n");
    const cut = entryLine("cut").slice(0, 50);
    await write(midLine, cut);
    await closed(midLine);
    // Its partial line went to the spool as a line (a bad one, for the indexer to count).
    await waitFor("the partial flushed", () => l.lines.length >= 2);
    expect(l.lines).toContain(cut);
    expect(l.listener.stats.idleClosed).toBe(1);
    expect(l.warnings.join("\n")).toMatch(/sent nothing for 0.3 s in the middle of a line/);
    await new Promise((r) => setTimeout(r, 600));
    expect(between.destroyed).toBe(false);
    expect(l.listener.stats.open).toBe(1);
  });

  test("connections past maxConnections are closed as they arrive, and accepted again once one closes", async () => {
    const l = await start({ maxConnections: 2 });
    const a = await connect(l.port);
    await connect(l.port);
    await waitFor("two open", () => l.listener.stats.open === 2);
    const third = await connect(l.port);
    await closed(third);
    expect(l.listener.stats.refused).toBe(1);
    expect(l.warnings.join("\n")).toMatch(
      /refused: 2 connections are open \(--max-connections 2\)/,
    );
    a.destroy();
    await waitFor("one closed", () => l.listener.stats.open === 1);
    const again = await connect(l.port);
    await write(again, entryLine("again") + "\n");
    await waitFor("its line", () => l.lines.length === 1);
    expect(again.destroyed).toBe(false);
  });

  test.each([
    ["0.0.0.0", true],
    ["127.0.0.1", false],
  ])("binding %s warns about a non-loopback address: %s", async (host, warned) => {
    const l = await start({}, host);
    const warning = l.warnings.find((w) => w.includes("non-loopback"));
    if (warned) {
      expect(warning).toMatch(
        /^tcp 0\.0\.0\.0:\d+: listening on a non-loopback address: anyone who can reach it can write audit entries into this index$/,
      );
    } else {
      expect(warning).toBeUndefined();
    }
  });

  test("a unix socket is created 0600, or with the mode asked for", async () => {
    const dir = tempDir();
    for (const [mode, want] of [
      [undefined, 0o600],
      [0o660, 0o660],
    ] as const) {
      const file = path.join(dir, `s-${want.toString(8)}.sock`);
      const l = await startSocketListener(
        [{ kind: "unix", path: file }],
        () => ({ write() {}, close() {} }),
        () => {},
        {
          ...DEFAULT_LISTENER_LIMITS,
          ...(mode === undefined ? {} : { socketMode: mode }),
        },
      );
      running.push(l);
      expect(fs.statSync(file).mode & 0o777).toBe(want);
    }
  });
});

describe("socket listener peers", () => {
  test("each TCP connection, unix connection and UDP sender has its own sink, opened with its source", async () => {
    const sock = path.join(tempDir(), "l.sock");
    const l = await start({}, "127.0.0.1", [
      { kind: "tcp", host: "127.0.0.1", port: 0 },
      { kind: "udp", host: "127.0.0.1", port: 0 },
      { kind: "unix", path: sock },
    ]);
    const udpPort = Number(/:(\d+)$/.exec(l.listener.addresses[1]!)![1]);
    const a = await connect(l.port);
    const b = await connect(l.port);
    const [aPort, bPort] = [a.localPort, b.localPort];
    await write(a, '{"n":"a1"}\n{"n":"a2');
    await write(b, '{"n":"b1"}\n');
    await write(a, '"}\n');
    const u = net.connect(sock);
    clients.push(u);
    await new Promise((r) => u.once("connect", r));
    await write(u, '{"n":"u1"}\n');
    const sender = dgram.createSocket("udp4");
    await new Promise<void>((r) => sender.bind(0, "127.0.0.1", () => r()));
    await new Promise<void>((r, j) =>
      sender.send('{"n":"d1"}', udpPort, "127.0.0.1", (e) => (e ? j(e) : r())),
    );
    await waitFor("five lines", () => l.lines.length >= 5);
    const senderPort = sender.address().port;
    sender.close();
    a.end();
    await waitFor("a's sink closed", () => l.peers.some((p) => p.closed));

    const bySource = Object.fromEntries(l.peers.map((p) => [p.source, p.lines]));
    expect(bySource).toEqual({
      [`tcp://127.0.0.1:${l.port} from 127.0.0.1:${aPort}`]: ['{"n":"a1"}', '{"n":"a2"}'],
      [`tcp://127.0.0.1:${l.port} from 127.0.0.1:${bPort}`]: ['{"n":"b1"}'],
      [`unix://${sock} from (unnamed)`]: ['{"n":"u1"}'],
      [`udp://127.0.0.1:${udpPort} from 127.0.0.1:${senderPort}`]: ['{"n":"d1"}'],
    });
    expect(l.peers.filter((p) => p.closed).map((p) => p.source)).toEqual([
      `tcp://127.0.0.1:${l.port} from 127.0.0.1:${aPort}`,
    ]);
  });

  test(`past ${UDP_OPEN_SENDERS} UDP senders the one heard from longest ago is closed, and reopened when it sends again`, async () => {
    const l = await start({}, "127.0.0.1", [{ kind: "udp", host: "127.0.0.1", port: 0 }]);
    const senders: dgram.Socket[] = [];
    const send = (s: dgram.Socket, text: string) =>
      new Promise<void>((r, j) => s.send(text, l.port, "127.0.0.1", (e) => (e ? j(e) : r())));
    try {
      for (let i = 0; i <= UDP_OPEN_SENDERS; i++) {
        const s = dgram.createSocket("udp4");
        senders.push(s);
        await send(s, `{"n":${i}}`);
        await waitFor(`datagram ${i}`, () => l.lines.length > i, 15_000, 2);
      }
      expect(l.peers).toHaveLength(UDP_OPEN_SENDERS + 1);
      expect(l.peers.filter((p) => p.closed).map((p) => p.lines)).toEqual([['{"n":0}']]);
      await send(senders[0]!, '{"n":"again"}');
      await waitFor(
        "the first sender's second datagram",
        () => l.peers.length > UDP_OPEN_SENDERS + 1,
      );
      expect(l.peers.at(-1)!.source).toBe(l.peers[0]!.source);
      expect(l.peers.at(-1)!.lines).toEqual(['{"n":"again"}']);
      expect(l.peers[1]!.closed).toBe(true); // the least recently heard from now
    } finally {
      for (const s of senders) s.close();
    }
  });
});
