// The receiving end of Vault's `socket` audit device: TCP, UDP and unix-socket servers that cut
// the byte stream into whole lines (only the last newline of each read is searched for) and hand
// them to a sink (the spool) in one call per read. Never parses, never waits on anything: a read
// costs a lastIndexOf and one write() into the page cache, so Vault is never back-pressured.
// Several Vault nodes may connect at once; each connection keeps its own partial last line.
import dgram from "node:dgram";
import fs from "node:fs";
import net from "node:net";

export type Endpoint =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "udp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string };

/** An entry longer than this without a newline is cut (Vault never writes one; a peer gone mad). */
const MAX_LINE_BYTES = 64 << 20;
const NEWLINE = 10;
const NL = Buffer.from("\n");

export type LineSink = (pieces: readonly Buffer[]) => void;

export interface ListenerStats {
  connections: number;
  open: number;
  bytes: number;
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
  const host = a?.address ?? e.host;
  return `${e.kind} ${host.includes(":") ? `[${host}]` : host}:${a?.port ?? e.port}`;
}

export async function startSocketListener(
  endpoints: readonly Endpoint[],
  sink: LineSink,
  onWarning: (message: string) => void = () => {},
): Promise<SocketListener> {
  const stats: ListenerStats = { connections: 0, open: 0, bytes: 0 };
  const sockets = new Set<net.Socket>();
  const closers: (() => Promise<void>)[] = [];
  const addresses: string[] = [];
  const flushers = new Set<() => void>();

  const onConnection = (socket: net.Socket): void => {
    stats.connections++;
    stats.open++;
    sockets.add(socket);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flushPartial = (): void => {
      // A peer that closes mid-line: what it sent is kept as a line (the indexer judges it).
      if (pendingBytes > 0) sink([...pending, NL]);
      pending = [];
      pendingBytes = 0;
    };
    flushers.add(flushPartial);
    socket.on("data", (chunk: Buffer) => {
      stats.bytes += chunk.length;
      const nl = chunk.lastIndexOf(NEWLINE);
      if (nl < 0) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes > MAX_LINE_BYTES) {
          onWarning(`a connection sent ${pendingBytes} bytes without a newline; cut there`);
          flushPartial();
        }
        return;
      }
      if (pendingBytes > 0) pending.push(chunk.subarray(0, nl + 1));
      sink(pendingBytes > 0 ? pending : [chunk.subarray(0, nl + 1)]);
      const rest = chunk.subarray(nl + 1);
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
    });
    socket.on("error", () => {}); // a reset by the peer: what was read is already spooled
    socket.on("close", () => {
      flushPartial();
      flushers.delete(flushPartial);
      sockets.delete(socket);
      stats.open--;
    });
  };

  for (const e of endpoints) {
    if (e.kind === "udp") {
      const udp = dgram.createSocket({ type: e.host.includes(":") ? "udp6" : "udp4" });
      // A datagram is one or more whole entries (Vault writes one entry per datagram).
      udp.on("message", (msg) => {
        stats.bytes += msg.length;
        sink(msg[msg.length - 1] === NEWLINE ? [msg] : [msg, NL]);
      });
      await new Promise<void>((resolve, reject) => {
        udp.once("error", reject);
        udp.bind(e.port, e.host, () => {
          udp.off("error", reject);
          resolve();
        });
      });
      udp.on("error", (err) => onWarning(`udp: ${err.message}`));
      // Large bursts of datagrams: a big receive buffer is all UDP offers against loss.
      try {
        udp.setRecvBufferSize(8 << 20);
      } catch {
        // the OS cap applies
      }
      addresses.push(describe(e, udp.address()));
      closers.push(() => new Promise<void>((r) => udp.close(() => r())));
      continue;
    }
    const server = net.createServer({ noDelay: true }, onConnection);
    if (e.kind === "unix") {
      try {
        if (fs.statSync(e.path).isSocket()) fs.rmSync(e.path); // stale socket of a dead listener
      } catch {
        // not there
      }
    }
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      const done = (): void => {
        server.off("error", reject);
        resolve();
      };
      if (e.kind === "unix") server.listen(e.path, done);
      else server.listen(e.port, e.host, done);
    });
    server.on("error", (err) => onWarning(`${e.kind}: ${err.message}`));
    addresses.push(describe(e, server.address()));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
  }

  return {
    addresses,
    stats,
    async close() {
      const closing = closers.map((c) => c());
      for (const s of sockets) s.destroy();
      for (const f of flushers) f();
      await Promise.all(closing);
    },
  };
}
