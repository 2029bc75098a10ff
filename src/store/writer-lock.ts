// One writer per index: `index`, `index --follow` and `listen` (and the compaction they run) hold
// the writer lock of the index directory for as long as they may write; a second writer waits for
// it, or with `wait: false` fails at once, naming the holder. Readers (query, stats, shell) never
// take it: LMDB's MVCC lets them read while a writer commits.
//
// Why a lock at all: LMDB serializes write transactions, but a writer keeps its id counters
// (next record, segment, file) in memory between them, so two writers hand out the same segment
// ids and overwrite each other's records.
//
// The lock is a unix socket listening at DIR/writer.sock. Only the kernel decides whether it is
// held: a connection to it succeeds while its process lives, and is refused the moment that
// process dies (kill -9 included), since the kernel closes the listening socket with it. No pid
// is trusted, so a reused pid cannot keep a dead writer's lock alive, and nothing has to expire.
// Node has no flock(2); a socket needs no native addon. The socket file a dead writer leaves is
// removed by the next writer, under a short-lived takeover directory so two writers cannot both
// remove it and each take the lock: the check "refused" and the unlink happen under it, and a
// bind fails while any socket file is there. (Only a takeover stalled for TAKEOVER_STALE_MS
// between those two steps could be overtaken; they are one event-loop turn apart.)
//
// DIR/writer.json (0600) says who holds the lock: pid, command (the subcommand only: never
// flags, which may hold a salt or a webhook's credentials) and since when. It is only ever shown
// to a waiter; whether the lock is held is the socket's answer, never this file's.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { InputError } from "../errors.js";

export const WRITER_SOCKET = "writer.sock";
export const WRITER_INFO = "writer.json";
const TAKEOVER_DIR = "writer.takeover";
/** A waiter asks again this often; each ask is one connect() on a local socket. */
const POLL_MS = 200;
/** A takeover is two system calls; a takeover directory this old was left by a dead process. */
const TAKEOVER_STALE_MS = 10_000;
/** Longest socket path a bind takes whole (macOS: 104 bytes with the NUL); Node truncates longer. */
const MAX_SOCKET_PATH_BYTES = 100;

export interface WriterLockHolder {
  readonly pid: number;
  readonly command: string;
  /** ISO time the lock was taken. */
  readonly since: string;
}

export interface WriterLockOptions {
  /** What this process is, for a waiter's message: "breakglass index", "breakglass listen". */
  readonly command: string;
  /** Wait for a busy lock (default), or throw an InputError at once. */
  readonly wait?: boolean | undefined;
  /** Called when waiting starts, and again when the holder changes (undefined: not yet known). */
  readonly onWait?: ((holder: WriterLockHolder | undefined) => void) | undefined;
  /** Stops a wait (throws an InputError). */
  readonly signal?: AbortSignal | undefined;
}

export interface WriterLock {
  readonly dir: string;
  /** Let the next writer in. */
  release(): Promise<void>;
}

/** "pid 123 (breakglass index) since 2025-01-02T03:04:05.000Z" */
export function describeHolder(holder: WriterLockHolder | undefined): string {
  if (!holder) return "another process";
  return `pid ${holder.pid} (${holder.command}) since ${holder.since}`;
}

/** Who holds the lock of `dir`, as its holder wrote it (undefined: unknown or none). */
export function readHolder(dir: string): WriterLockHolder | undefined {
  try {
    const h = JSON.parse(fs.readFileSync(path.join(dir, WRITER_INFO), "utf8")) as WriterLockHolder;
    if (typeof h.pid === "number" && typeof h.command === "string" && typeof h.since === "string")
      return { pid: h.pid, command: h.command, since: h.since };
  } catch {
    // not written yet, being replaced, or from a dead holder and removed
  }
  return undefined;
}

/**
 * The socket's address. Linux: through the directory's open descriptor (/proc/self/fd/N/...),
 * so an index path of any length works (a bind to a longer path is silently truncated by Node).
 * Elsewhere the plain path, refused when too long rather than truncated.
 */
class SocketAddress {
  private readonly fd: number | undefined;
  readonly path: string;

  constructor(readonly dir: string) {
    let fd: number | undefined;
    try {
      fd = fs.openSync(dir, "r");
      if (!fs.existsSync(`/proc/self/fd/${fd}/`)) {
        fs.closeSync(fd);
        fd = undefined;
      }
    } catch {
      fd = undefined;
    }
    this.fd = fd;
    this.path =
      fd === undefined ? path.join(dir, WRITER_SOCKET) : `/proc/self/fd/${fd}/${WRITER_SOCKET}`;
    if (Buffer.byteLength(this.path) > MAX_SOCKET_PATH_BYTES) {
      this.close();
      throw new InputError(
        `the index path ${dir} is too long for its writer lock (a unix socket path)`,
        `use an index directory whose path is under ${MAX_SOCKET_PATH_BYTES - WRITER_SOCKET.length - 1} bytes`,
      );
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
  }
}

type Probe = "alive" | "dead" | "gone";

/** Is a process listening on the socket? Only a refused connection proves the holder dead. */
function probe(address: string): Promise<Probe> {
  return new Promise((resolve) => {
    const socket = net.connect(address);
    const done = (p: Probe): void => {
      socket.destroy();
      resolve(p);
    };
    socket.setTimeout(2000, () => done("alive")); // a stopped holder: its backlog still accepts
    socket.once("connect", () => done("alive"));
    socket.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNREFUSED") done("dead");
      else if (err.code === "ENOENT") done("gone");
      else done("alive"); // a full backlog (EAGAIN) or anything else: never take over on doubt
    });
  });
}

function bind(address: string): Promise<net.Server | NodeJS.ErrnoException> {
  return new Promise((resolve) => {
    const server = net.createServer((conn) => conn.destroy());
    server.once("error", (err: NodeJS.ErrnoException) => resolve(err));
    server.listen(address, () => {
      server.removeAllListeners("error");
      server.on("error", () => {}); // after listening only accept() can fail; a waiter retries
      server.unref(); // the lock never keeps the process alive
      resolve(server);
    });
  });
}

/** Remove a dead holder's socket file, unless another process is doing the same right now. */
async function removeDeadSocket(dir: string, address: string): Promise<void> {
  const guard = path.join(dir, TAKEOVER_DIR);
  try {
    fs.mkdirSync(guard, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    try {
      if (Date.now() - fs.statSync(guard).mtimeMs > TAKEOVER_STALE_MS) fs.rmdirSync(guard);
    } catch {
      // finished meanwhile
    }
    return;
  }
  try {
    // Again under the guard: another takeover may have finished since our first probe.
    if ((await probe(address)) === "dead") fs.rmSync(address, { force: true });
  } catch (err) {
    const socket = path.join(dir, WRITER_SOCKET);
    throw new InputError(`cannot remove ${socket}, left by a writer that died: ${reason(err)}`);
  } finally {
    fs.rmdirSync(guard);
  }
}

function writeHolder(dir: string, holder: WriterLockHolder): void {
  const tmp = path.join(dir, `${WRITER_INFO}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(holder) + "\n", { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, path.join(dir, WRITER_INFO));
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === "EACCES" || e.code === "EPERM") return "permission denied";
  return e.message;
}

/** Take the writer lock of the index directory `dir` (which must exist). */
export async function acquireWriterLock(dir: string, opts: WriterLockOptions): Promise<WriterLock> {
  const address = new SocketAddress(dir);
  let shown: string | undefined;
  try {
    for (;;) {
      if (opts.signal?.aborted) {
        throw new InputError(`stopped waiting for the index at ${dir}; nothing was written`);
      }
      const bound = await bind(address.path);
      if (bound instanceof net.Server) {
        const server = bound;
        try {
          fs.chmodSync(address.path, 0o600);
          writeHolder(dir, {
            pid: process.pid,
            command: opts.command,
            since: new Date().toISOString(),
          });
        } catch (err) {
          server.close();
          throw new InputError(`cannot lock the index at ${dir} for writing: ${reason(err)}`);
        }
        return { dir, release: () => release(dir, server, address) };
      }
      if (bound.code !== "EADDRINUSE") {
        throw new InputError(`cannot lock the index at ${dir} for writing: ${reason(bound)}`);
      }
      const state = await probe(address.path);
      if (state === "dead") {
        await removeDeadSocket(dir, address.path);
        continue;
      }
      if (state === "gone") continue;
      const holder = readHolder(dir);
      if (opts.wait === false) {
        throw new InputError(
          `the index at ${dir} is being written by ${describeHolder(holder)}`,
          "wait for it to finish, or run again without --no-wait to wait for it",
        );
      }
      const text = describeHolder(holder);
      if (text !== shown) {
        shown = text;
        opts.onWait?.(holder);
      }
      await sleep(POLL_MS, opts.signal);
    }
  } catch (err) {
    address.close();
    throw err;
  }
}

async function release(dir: string, server: net.Server, address: SocketAddress): Promise<void> {
  // The info first, while still holding: the next holder writes its own after binding.
  fs.rmSync(path.join(dir, WRITER_INFO), { force: true });
  // Closing unlinks the socket file (through the directory descriptor, still open).
  await new Promise<void>((resolve) => server.close(() => resolve()));
  address.close();
}
