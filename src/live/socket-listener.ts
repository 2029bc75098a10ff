// The receiving end of Vault's `socket` audit device: TCP, UDP and unix-socket servers that cut
// the byte stream into whole lines (only the last newline of each read is searched for) and hand
// them to a sink (the spool) in one call per read. Never parses, never waits on anything: a read
// costs a lastIndexOf and one write() into the page cache, so Vault is never back-pressured.
// Several Vault nodes may connect at once; each connection keeps its own partial last line and
// has a sink of its own, opened with its source (record-origin.ts listenSource: the endpoint and
// the peer's address), so one peer's lines never mix with another's. A UDP sender (its address
// and port) is a peer too: its datagrams go to its sink, kept open for its next datagram.
//
// Whoever can connect can make it hold memory, so everything a peer can make it keep is bounded
// (ListenerLimits): an unfinished line longer than maxLineBytes is dropped (the rest of it is
// skipped up to its newline, never buffered); when the unfinished lines of all connections pass
// maxBufferedBytes, the largest is dropped; a connection that sits on an unfinished line for
// idleTimeoutMs is closed; connections past maxConnections are closed as they arrive. A dropped
// line still counts: a short stand-in that cannot parse takes its place in the spool, so the
// indexer reports it as a bad line where the line was. A unix socket is created 0600 (socketMode)
// whatever the umask, and binding TCP/UDP beyond loopback is warned about: anyone who reaches the
// port can write entries into the index.
import dgram from "node:dgram";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import ipaddr from "ipaddr.js";
import { hostPort, listenSource, UNNAMED_PEER } from "../audit/record-origin.js";

export type Endpoint =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "udp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string };

export interface ListenerLimits {
  /** Longest line kept; an unfinished line past it is dropped up to its newline. */
  readonly maxLineBytes: number;
  /** Unfinished-line bytes held across all connections; past it the largest line is dropped. */
  readonly maxBufferedBytes: number;
  /** Connections open at once (all endpoints); more are closed as they arrive. */
  readonly maxConnections: number;
  /** A connection holding an unfinished line that sends nothing for this long is closed. */
  readonly idleTimeoutMs: number;
  /** Mode of a unix socket file. */
  readonly socketMode: number;
}

export const DEFAULT_LISTENER_LIMITS: ListenerLimits = {
  // Vault never writes an entry this long; the same default as `index --max-line-bytes`.
  maxLineBytes: 64 << 20,
  // Four maximal lines at once; normal traffic holds a few KB (one partial entry a connection).
  maxBufferedBytes: 256 << 20,
  // A Vault cluster is a handful of nodes, each with one connection per audit device.
  maxConnections: 256,
  // Vault writes an entry in one go; a minute without the rest of it is a peer gone wrong.
  idleTimeoutMs: 60_000,
  socketMode: 0o600,
};

const NEWLINE = 10;
const NL = Buffer.from("\n");
/** A kind of warning (a refused connection, a dropped line) is repeated at most this often. */
const WARN_EVERY_MS = 10_000;

/** Where one peer's whole lines go, in the order received (the spool: files of its own). */
export interface PeerSink {
  write(pieces: readonly Buffer[]): void;
  /** The peer is done (closed, or a UDP sender not heard from in a while); idempotent. */
  close(): void;
}

/** A sink for the peer whose records get `source` (record-origin.ts listenSource). */
export type OpenPeer = (source: string) => PeerSink;

/**
 * UDP senders whose sinks are kept open at once: Vault sends an audit device's datagrams from one
 * socket, so a cluster is a few senders; past this the least recently heard from is closed
 * (nothing is lost: a datagram holds whole lines, and its next one opens a new sink).
 */
export const UDP_OPEN_SENDERS = 64;

export interface ListenerStats {
  /** Connections accepted since start. */
  connections: number;
  open: number;
  /** Connections closed on arrival: maxConnections were open. */
  refused: number;
  bytes: number;
  /** Lines dropped: longer than maxLineBytes, or the largest when maxBufferedBytes was reached. */
  droppedLines: number;
  /** Connections closed for sitting on an unfinished line for idleTimeoutMs. */
  idleClosed: number;
  /** Unfinished-line bytes held now, and the most ever held at once, across all connections. */
  bufferedBytes: number;
  peakBufferedBytes: number;
}

/** Counters of a listener that has accepted nothing yet. */
export function emptyListenerStats(): ListenerStats {
  return {
    connections: 0,
    open: 0,
    refused: 0,
    bytes: 0,
    droppedLines: 0,
    idleClosed: 0,
    bufferedBytes: 0,
    peakBufferedBytes: 0,
  };
}

export interface SocketListener {
  /** Where each endpoint listens ("tcp 127.0.0.1:8200", "unix /run/bg.sock"). */
  readonly addresses: readonly string[];
  readonly stats: ListenerStats;
  /** Stop accepting, hand over what was read, close every connection. */
  close(): Promise<void>;
}

/** `HOST:PORT` or `[V6]:PORT` → host and port. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]*):(\d+)$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port > 65535) return undefined;
  return { host: m[1] || "127.0.0.1", port };
}

function describe(e: Endpoint, addr: net.AddressInfo | string | null): string {
  if (e.kind === "unix") return `unix ${e.path}`;
  const a = addr && typeof addr === "object" ? addr : undefined;
  return `${e.kind} ${hostPort(a?.address ?? e.host, a?.port ?? e.port)}`;
}

/** The endpoint as the URL that starts its records' source: `tcp://127.0.0.1:8200`, `unix:///x`. */
function endpointUrl(e: Endpoint, addr: net.AddressInfo | string | null): string {
  if (e.kind === "unix") return `unix://${path.resolve(e.path)}`;
  const a = addr && typeof addr === "object" ? addr : undefined;
  return `${e.kind}://${hostPort(a?.address ?? e.host, a?.port ?? e.port)}`;
}

function isLoopback(address: string): boolean {
  try {
    return ipaddr.process(address).range() === "loopback";
  } catch {
    return false;
  }
}

/** What stands in the spool for a dropped line: not JSON (an unterminated string), so a bad line. */
function droppedLine(why: string): Buffer {
  return Buffer.from(`{"breakglass listen dropped this line": "${why}\n`);
}

/** One warning per kind per WARN_EVERY_MS, saying how many like it were held back. */
function throttledWarnings(
  onWarning: (message: string) => void,
): (kind: string, m: string) => void {
  const last = new Map<string, { atMs: number; held: number }>();
  return (kind, message) => {
    const now = Date.now();
    const k = last.get(kind);
    if (k && now - k.atMs < WARN_EVERY_MS) {
      k.held++;
      return;
    }
    const held = k?.held ?? 0;
    last.set(kind, { atMs: now, held: 0 });
    onWarning(held > 0 ? `${message} (and ${held} more like it)` : message);
  };
}

/**
 * Bind a unix socket that never exists with a wider mode than asked: bound inside a fresh 0700
 * directory beside `file`, given its mode, then renamed into place (the umask decides the mode
 * at bind, and a worker thread cannot change the umask). Resolves with the socket's inode.
 */
async function listenUnix(server: net.Server, file: string, mode: number): Promise<number> {
  let existing: fs.Stats | undefined;
  try {
    existing = fs.lstatSync(file);
  } catch {
    // not there
  }
  if (existing && !existing.isSocket()) throw new Error(`${file} exists and is not a socket`);
  let dir: string;
  try {
    dir = fs.mkdtempSync(path.join(path.dirname(file), ".bg-"));
  } catch (err) {
    throw new Error(`cannot create the socket ${file}: ${(err as Error).message}`);
  }
  try {
    const bound = path.join(dir, "s");
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(bound, () => {
        server.off("error", reject);
        resolve();
      });
    });
    fs.chmodSync(bound, mode);
    fs.renameSync(bound, file); // replaces the stale socket of a dead listener, if any
    return fs.statSync(file).ino;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function startSocketListener(
  endpoints: readonly Endpoint[],
  openPeer: OpenPeer,
  onWarning: (message: string) => void = () => {},
  limits: ListenerLimits = DEFAULT_LISTENER_LIMITS,
): Promise<SocketListener> {
  const stats = emptyListenerStats();
  const warn = throttledWarnings(onWarning);
  const connections = new Set<Connection>();
  const closers: (() => Promise<void>)[] = [];
  const addresses: string[] = [];
  /** Open sinks of UDP senders by source, least recently heard from first. */
  const senders = new Map<string, PeerSink>();

  /** One accepted connection: its unfinished last line, or that it is skipping a dropped one. */
  class Connection {
    private pending: Buffer[] = [];
    pendingBytes = 0;
    /** Inside a dropped line: everything up to the next newline is thrown away. */
    private skipping = false;

    constructor(
      readonly socket: net.Socket,
      readonly name: string,
      private readonly out: PeerSink,
    ) {}

    private sink(pieces: readonly Buffer[]): void {
      this.out.write(pieces);
    }

    /** Hand over what was sent of an unfinished line and close the peer's sink. */
    end(): void {
      this.flushPartial();
      this.out.close();
    }

    private release(): Buffer[] {
      const out = this.pending;
      stats.bufferedBytes -= this.pendingBytes;
      this.pending = [];
      this.pendingBytes = 0;
      return out;
    }

    /** Count and report a dropped line; what stands in for it in the spool. */
    private dropped(kind: string, why: string, then = ""): Buffer {
      stats.droppedLines++;
      warn(kind, `${this.name}: dropped ${why}${then}`);
      return droppedLine(why);
    }

    private droppedLong(): Buffer {
      return this.dropped(
        "long",
        `a line longer than ${limits.maxLineBytes} bytes (--max-line-bytes)`,
      );
    }

    /** Drop the unfinished line, and what is still to come of it up to its newline. */
    dropPartial(kind: string, why: string): void {
      this.release();
      this.skipping = true;
      this.sink([this.dropped(kind, why, "; skipping to its next newline")]);
    }

    /** What was sent of an unfinished line becomes a line (the indexer judges it). */
    flushPartial(): void {
      if (this.pendingBytes > 0) this.sink([...this.release(), NL]);
    }

    get holdsPartLine(): boolean {
      return this.pendingBytes > 0 || this.skipping;
    }

    onData(chunk: Buffer): void {
      stats.bytes += chunk.length;
      let data = chunk;
      if (this.skipping) {
        const nl = data.indexOf(NEWLINE);
        if (nl < 0) return;
        this.skipping = false;
        data = data.subarray(nl + 1);
      }
      const last = data.lastIndexOf(NEWLINE);
      if (last >= 0) {
        const out: Buffer[] = [];
        let from = 0;
        if (this.pendingBytes > 0) {
          // The line held so far ends in this read: only now is its length known.
          const first = data.indexOf(NEWLINE);
          if (this.pendingBytes + first > limits.maxLineBytes) {
            this.release();
            out.push(this.droppedLong());
          } else {
            out.push(...this.release(), data.subarray(0, first + 1));
          }
          from = first + 1;
        }
        const whole = data.subarray(from, last + 1);
        // Lines inside one read (at most 64 KiB) are looked at one by one only when the limit is
        // smaller than that: with the default limit a read costs one lastIndexOf.
        if (whole.length > limits.maxLineBytes) this.capLines(whole, out);
        else if (whole.length > 0) out.push(whole);
        if (out.length > 0) this.sink(out);
        data = data.subarray(last + 1);
      }
      if (data.length === 0) return;
      if (this.pendingBytes + data.length > limits.maxLineBytes) {
        this.dropPartial(
          "long",
          `a line longer than ${limits.maxLineBytes} bytes (--max-line-bytes)`,
        );
        return;
      }
      // A copy when the piece is a sliver of its read, so that it does not keep the whole read.
      const piece = data.length > chunk.length >>> 1 ? data : Buffer.from(data);
      this.pending.push(piece);
      this.pendingBytes += piece.length;
      stats.bufferedBytes += piece.length;
      stats.peakBufferedBytes = Math.max(stats.peakBufferedBytes, stats.bufferedBytes);
      if (stats.bufferedBytes > limits.maxBufferedBytes) dropLargest();
    }

    /** `region`'s whole lines into `out`, each longer than the limit replaced by a stand-in. */
    private capLines(region: Buffer, out: Buffer[]): void {
      let keptFrom = 0;
      for (let start = 0; start < region.length;) {
        const nl = region.indexOf(NEWLINE, start);
        if (nl - start > limits.maxLineBytes) {
          if (start > keptFrom) out.push(region.subarray(keptFrom, start));
          out.push(this.droppedLong());
          keptFrom = nl + 1;
        }
        start = nl + 1;
      }
      if (keptFrom < region.length) out.push(region.subarray(keptFrom));
    }
  }

  const dropLargest = (): void => {
    let largest: Connection | undefined;
    for (const c of connections) if (!largest || c.pendingBytes > largest.pendingBytes) largest = c;
    largest?.dropPartial(
      "budget",
      `a ${largest.pendingBytes}-byte unfinished line: all connections together held more than ` +
        `${limits.maxBufferedBytes} bytes of unfinished lines`,
    );
  };

  let unixConnections = 0;
  const onConnection = (endpoint: Endpoint, url: string, socket: net.Socket): void => {
    socket.on("error", () => {}); // a reset by the peer: what was read is already spooled
    const name =
      endpoint.kind === "unix"
        ? `unix ${endpoint.path} connection ${++unixConnections}`
        : `tcp ${socket.remoteAddress}:${socket.remotePort}`;
    if (stats.open >= limits.maxConnections) {
      stats.refused++;
      warn(
        "refused",
        `${name}: refused: ${stats.open} connections are open (--max-connections ${limits.maxConnections})`,
      );
      socket.destroy();
      return;
    }
    stats.connections++;
    stats.open++;
    const peer =
      endpoint.kind === "unix" || socket.remoteAddress === undefined
        ? UNNAMED_PEER
        : hostPort(socket.remoteAddress, socket.remotePort ?? 0);
    const c = new Connection(socket, name, openPeer(listenSource(url, peer)));
    connections.add(c);
    socket.setTimeout(limits.idleTimeoutMs);
    socket.on("timeout", () => {
      if (!c.holdsPartLine) return; // idle between entries is normal
      stats.idleClosed++;
      warn(
        "idle",
        `${name}: closed: sent nothing for ${limits.idleTimeoutMs / 1000} s in the middle of a line (--idle-timeout)`,
      );
      socket.destroy();
    });
    socket.on("data", (chunk: Buffer) => c.onData(chunk));
    socket.on("close", () => {
      c.end();
      connections.delete(c);
      stats.open--;
    });
  };

  for (const e of endpoints) {
    if (e.kind === "udp") {
      const udp = dgram.createSocket({ type: e.host.includes(":") ? "udp6" : "udp4" });
      // A datagram is one or more whole entries (Vault writes one entry per datagram); it is at
      // most 64 KiB and is handed on as it comes: UDP holds nothing between datagrams.
      let url = "";
      udp.on("message", (msg, from) => {
        stats.bytes += msg.length;
        senderSink(url, from).write(msg[msg.length - 1] === NEWLINE ? [msg] : [msg, NL]);
      });
      await new Promise<void>((resolve, reject) => {
        udp.once("error", reject);
        udp.bind(e.port, e.host, () => {
          udp.off("error", reject);
          resolve();
        });
      });
      url = endpointUrl(e, udp.address());
      udp.on("error", (err) => onWarning(`udp: ${err.message}`));
      // Large bursts of datagrams: a big receive buffer is all UDP offers against loss.
      try {
        udp.setRecvBufferSize(8 << 20);
      } catch {
        // the OS cap applies
      }
      const where = describe(e, udp.address());
      addresses.push(where);
      if (!isLoopback(udp.address().address)) warnNonLoopback(where);
      closers.push(() => new Promise<void>((r) => udp.close(() => r())));
      continue;
    }
    let url = "";
    const server = net.createServer({ noDelay: true }, (s) => onConnection(e, url, s));
    if (e.kind === "unix") {
      const ino = await listenUnix(server, e.path, limits.socketMode);
      closers.push(async () => {
        await new Promise<void>((r) => server.close(() => r()));
        try {
          // Renamed into place, so the server's own cleanup does not know this path.
          if (fs.statSync(e.path).ino === ino) fs.rmSync(e.path);
        } catch {
          // already gone
        }
      });
    } else {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(e.port, e.host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      closers.push(() => new Promise<void>((r) => server.close(() => r())));
    }
    server.on("error", (err) => onWarning(`${e.kind}: ${err.message}`));
    const addr = server.address();
    url = endpointUrl(e, addr);
    const where = describe(e, addr);
    addresses.push(where);
    if (e.kind === "tcp" && addr && typeof addr === "object" && !isLoopback(addr.address)) {
      warnNonLoopback(where);
    }
  }

  /** The sink of a UDP sender, most recently heard from last; the least recent goes past the cap. */
  function senderSink(url: string, from: dgram.RemoteInfo): PeerSink {
    const source = listenSource(url, hostPort(from.address, from.port));
    let out = senders.get(source);
    if (out) {
      senders.delete(source);
    } else {
      out = openPeer(source);
      if (senders.size >= UDP_OPEN_SENDERS) {
        const [oldest, sink] = senders.entries().next().value!;
        senders.delete(oldest);
        sink.close();
      }
    }
    senders.set(source, out);
    return out;
  }

  function warnNonLoopback(where: string): void {
    onWarning(
      `${where}: listening on a non-loopback address: anyone who can reach it can write audit ` +
        "entries into this index",
    );
  }

  return {
    addresses,
    stats,
    async close() {
      const closing = closers.map((c) => c());
      for (const c of connections) c.socket.destroy();
      for (const c of connections) c.end();
      await Promise.all(closing);
      for (const out of senders.values()) out.close();
      senders.clear();
    },
  };
}
