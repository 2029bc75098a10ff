// Helpers for the live tests: run the built bin (`listen`, `index --follow`) as a child process,
// write audit lines to it over real sockets on 127.0.0.1 and unix sockets, wait for conditions
// with a deadline, and check an index holds each entry exactly once.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openIndex } from "../../src/index-api.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = path.join(ROOT, "dist", "bundle", "main.mjs");

/** An audit request line with a unique request id; `pad` bytes of data make it longer. */
export function entryLine(
  id: string,
  opts: { ip?: string; path?: string; error?: string; time?: string; pad?: number } = {},
): string {
  return JSON.stringify({
    time: opts.time ?? new Date().toISOString(),
    type: "request",
    request: {
      id,
      operation: "update",
      path: opts.path ?? "secret/data/app",
      remote_address: opts.ip ?? "10.1.2.3",
      data: { note: "x".repeat(opts.pad ?? 0) },
    },
    ...(opts.error ? { error: opts.error } : {}),
  });
}

export interface Running {
  readonly proc: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>;
}

/** Run the bin; with `umask` (octal text), through sh with that umask set first. */
export function runBin(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  opts: { umask?: string } = {},
): Running {
  const argv = [process.execPath, BIN, ...args];
  const proc =
    opts.umask === undefined
      ? spawn(argv[0]!, argv.slice(1), {
          env: { ...process.env, ...env },
          stdio: ["ignore", "pipe", "pipe"],
        })
      : spawn("sh", ["-c", `umask ${opts.umask} && exec "$@"`, "sh", ...argv], {
          env: { ...process.env, ...env },
          stdio: ["ignore", "pipe", "pipe"],
        });
  const r: Running = {
    proc,
    stdout: "",
    stderr: "",
    exited: new Promise((resolve) =>
      proc.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
    ),
  };
  proc.stdout!.on("data", (d: Buffer) => (r.stdout += d.toString("utf8")));
  proc.stderr!.on("data", (d: Buffer) => (r.stderr += d.toString("utf8")));
  return r;
}

export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
  pollMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Resident memory of a process (Linux /proc), in bytes. */
export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb[1]) * 1024;
}

// HMACs a compact entry draws from (Vault writes hmac-sha256 and 64 hex digits): random, so the
// entries compress about as poorly as real ones and the listener moves real bytes.
const HMAC_POOL = Array.from(
  { length: 4096 },
  () => `hmac-sha256:${randomBytes(32).toString("hex")}`,
);

/**
 * Entries `from`…`from + count - 1` of a stream of ~330-byte audit requests (request id `m-N`),
 * as newline-terminated text: cheap enough to generate a million in a test.
 */
export function compactEntries(from: number, count: number): string {
  let out = "";
  for (let i = from; i < from + count; i++) {
    const accessor = HMAC_POOL[i & 4095]!;
    const token = HMAC_POOL[Math.imul(i, 0x9e3779b1) >>> 20]!;
    const minute = String((i >>> 10) % 60).padStart(2, "0");
    const ip = `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
    out +=
      `{"time":"2024-05-01T12:${minute}:00.000Z","type":"request","auth":{"accessor":"${accessor}"},` +
      `"request":{"id":"m-${i}","operation":"read","path":"secret/data/app${i % 97}",` +
      `"remote_address":"${ip}","client_token":"${token}"}}\n`;
  }
  return out;
}

/** Records in the index (0 when there is none yet); opens and closes it. */
export async function recordCount(db: string): Promise<number> {
  let ix;
  try {
    ix = openIndex(db);
  } catch {
    return 0;
  }
  try {
    return ix.recordCount;
  } finally {
    await ix.close();
  }
}

/** Start `breakglass listen` and wait until it says where it listens. */
export async function startListen(
  db: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  opts: { umask?: string } = {},
): Promise<Running & { tcpPort: number | undefined; udpPort: number | undefined }> {
  const r = runBin(["listen", "--db", db, ...args], env, opts);
  await waitFor(
    "listen to start",
    () => r.stderr.includes("listening on") || r.proc.exitCode !== null,
  );
  const want = args.filter((a) => a === "--tcp" || a === "--udp" || a === "--unix").length;
  await waitFor(`${want} endpoints`, () => {
    if (r.proc.exitCode !== null) throw new Error(`listen exited: ${r.stderr}`);
    return (r.stderr.match(/listening on/g) ?? []).length >= want;
  });
  const tcp = /listening on tcp [^\n]*:(\d+)/.exec(r.stderr);
  const udp = /listening on udp [^\n]*:(\d+)/.exec(r.stderr);
  return Object.assign(r, {
    tcpPort: tcp ? Number(tcp[1]) : undefined,
    udpPort: udp ? Number(udp[1]) : undefined,
  });
}

/** Write lines over one connection in pieces that cut lines anywhere; resolves when closed. */
export function sendLines(
  target: { port: number } | { path: string },
  lines: readonly string[],
  pieceBytes = 7000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket =
      "port" in target ? net.connect(target.port, "127.0.0.1") : net.connect(target.path);
    socket.on("error", reject);
    socket.on("connect", async () => {
      const text = Buffer.from(lines.map((l) => l + "\n").join(""));
      for (let off = 0; off < text.length; off += pieceBytes) {
        if (!socket.write(text.subarray(off, off + pieceBytes))) {
          await new Promise((r) => socket.once("drain", r));
        }
      }
      socket.end(() => resolve());
    });
  });
}

export async function sendDatagrams(port: number, lines: readonly string[]): Promise<void> {
  const udp = dgram.createSocket("udp4");
  for (const l of lines) {
    await new Promise<void>((resolve, reject) =>
      udp.send(l + "\n", port, "127.0.0.1", (err) => (err ? reject(err) : resolve())),
    );
  }
  udp.close();
}

/** Request ids of every record in the index, in record order (0 when there is no index yet). */
export async function indexedIds(db: string): Promise<string[]> {
  let ix;
  try {
    ix = openIndex(db);
  } catch {
    return [];
  }
  try {
    const ids: string[] = [];
    for (let i = 0; i < ix.recordCount; i++) {
      const entry = JSON.parse(ix.line(i).toString("utf8")) as { request: { id: string } };
      ids.push(entry.request.id);
    }
    return ids;
  } finally {
    await ix.close();
  }
}

/** The ids that are missing or there more than once. */
export function exactlyOnce(
  ids: readonly string[],
  expected: readonly string[],
): {
  missing: string[];
  duplicated: string[];
} {
  const seen = new Map<string, number>();
  for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
  return {
    missing: expected.filter((id) => !seen.has(id)),
    duplicated: [...seen].filter(([, n]) => n > 1).map(([id]) => id),
  };
}
