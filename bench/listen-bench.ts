// How `breakglass listen` keeps up with Vault: (1) a burst of 100,000 entries written as fast as
// possible over 4 concurrent TCP connections: the longest and p99 socket stall a writer sees
// (time a write waits for the kernel to take more: the listener not reading), and how long until
// all are queryable; (2) sustained rates: entries/s sent for a few seconds, with probe entries
// every 100 ms, and how long each probe takes to become visible to `query` (another process
// opening the index). The highest rate whose p99 visibility stays ≤ 1 s is the sustained rate.
// (3) memory: the listener's RSS while a million ~330-byte entries go through a unix socket, sent
// as a steady Vault would (never more than 20,000 ahead of the index): it must level off.
// Run: npm run build && node dist/bench/listen-bench.js [BURST_ENTRIES] [SECONDS_PER_RATE]
//        [MEMORY_RECORDS] (0 skips a part)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generateAuditLines } from "../src/demo/generate-log.js";
import { openIndex } from "../src/index-api.js";
import { compactEntries, recordCount, rssBytes } from "../test/live/live-helpers.js";

const BURST = Number(process.argv[2] ?? 100_000);
const SECONDS = Number(process.argv[3] ?? 4);
const MEMORY_RECORDS = Number(process.argv[4] ?? 1_000_000);
const CONNECTIONS = 4;
const RATES = [2_000, 5_000, 10_000, 20_000, 40_000];
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = path.join(ROOT, "dist", "bundle", "main.mjs");

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Realistic lines (the demo generator), each given a unique request id we can look up. */
function lines(n: number, tag: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (const l of generateAuditLines({ seed: 11, targetBytes: n * 1200, salt: "bench" })) {
    const e = JSON.parse(l) as { request?: { id?: string } };
    if (!e.request) continue;
    e.request.id = `${tag}-${i}`;
    out.push(JSON.stringify(e));
    if (++i === n) break;
  }
  while (out.length < n)
    out.push(
      out[out.length % Math.max(1, i)]!.replace(/"id":"[^"]*"/, `"id":"${tag}-${out.length}"`),
    );
  return out;
}

async function startListener(db: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const proc = spawn(process.execPath, [BIN, "listen", "--db", db, "--tcp", "127.0.0.1:0"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  const port = await new Promise<number>((resolve, reject) => {
    proc.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /listening on tcp [^\n]*:(\d+)/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    proc.on("exit", () => reject(new Error(`listen exited: ${err}`)));
  });
  return {
    port,
    stop: () =>
      new Promise<void>((r) => {
        proc.on("exit", () => r());
        proc.kill("SIGTERM");
      }),
  };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
    s.on("error", reject);
  });
}

/** Write `text` in 64 KiB pieces as fast as the socket takes them; every wait for drain is a stall. */
async function blast(socket: net.Socket, text: Buffer): Promise<number[]> {
  const stalls: number[] = [];
  for (let off = 0; off < text.length; off += 64 << 10) {
    if (!socket.write(text.subarray(off, off + (64 << 10)))) {
      const t = performance.now();
      await new Promise((r) => socket.once("drain", r));
      stalls.push(performance.now() - t);
    }
  }
  await new Promise<void>((r) => socket.end(() => r()));
  return stalls;
}

function visible(db: string, ids: readonly string[]): boolean[] {
  try {
    const ix = openIndex(db);
    try {
      return ids.map((id) => ix.postings("request_id", id).length > 0);
    } finally {
      void ix.close();
    }
  } catch {
    return ids.map(() => false);
  }
}

async function burst(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bg-listen-bench-"));
  const db = path.join(dir, "db");
  const l = await startListener(db);
  const per = Math.ceil(BURST / CONNECTIONS);
  const texts = Array.from({ length: CONNECTIONS }, (_, c) =>
    Buffer.from(
      lines(per, `b${c}`)
        .map((x) => x + "\n")
        .join(""),
    ),
  );
  const bytes = texts.reduce((n, t) => n + t.length, 0);
  const sockets = await Promise.all(texts.map(() => connect(l.port)));
  const t0 = performance.now();
  const stalls = await Promise.all(sockets.map((s, c) => blast(s, texts[c]!)));
  const sent = performance.now() - t0;
  const lastIds = texts.map((_, c) => `b${c}-${per - 1}`);
  while (!visible(db, lastIds).every(Boolean)) await new Promise((r) => setTimeout(r, 25));
  const indexed = performance.now() - t0;
  const all = stalls.flat();
  console.log(
    `\nburst: ${per * CONNECTIONS} entries (${(bytes / 1e6).toFixed(0)} MB) over ${CONNECTIONS} connections`,
  );
  console.log(
    `| sent in | all queryable after | stalls (waits for drain) | p99 stall | max stall |`,
  );
  console.log(`|---|---|---|---|---|`);
  console.log(
    `| ${sent.toFixed(0)} ms | ${indexed.toFixed(0)} ms (${((per * CONNECTIONS) / (indexed / 1000)).toFixed(0)} entries/s) | ${all.length} | ${pct(all, 99).toFixed(1)} ms | ${Math.max(0, ...all).toFixed(1)} ms |`,
  );
  await l.stop();
  rmSync(dir, { recursive: true, force: true });
}

async function sustained(): Promise<void> {
  console.log(
    `\nsustained: ${SECONDS} s per rate, 1 connection per 5,000 entries/s, a probe every 100 ms`,
  );
  console.log(`| offered entries/s | achieved | visibility p50 | p99 | max |`);
  console.log(`|---|---|---|---|---|`);
  for (const rate of RATES) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "bg-listen-bench-"));
    const db = path.join(dir, "db");
    const l = await startListener(db);
    const conns = Math.max(1, Math.round(rate / 5000));
    const sockets = await Promise.all(Array.from({ length: conns }, () => connect(l.port)));
    const pool = lines(Math.min(rate * SECONDS, 200_000), `s${rate}`);
    const probes: { id: string; sentMs: number; seenMs?: number }[] = [];
    const t0 = performance.now();
    let sentCount = 0;
    let tick = 0;
    const poll = (): void => {
      const open = probes.filter((p) => p.seenMs === undefined);
      if (open.length === 0) return;
      const seen = visible(
        db,
        open.map((p) => p.id),
      );
      const now = performance.now();
      open.forEach((p, i) => {
        if (seen[i]) p.seenMs = now;
      });
    };
    const poller = setInterval(poll, 20);
    // Every 10 ms: send what the rate allows so far, spread over the connections.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = performance.now();
        const due = Math.min(Math.floor(((now - t0) / 1000) * rate), rate * SECONDS);
        const batch: string[] = [];
        for (; sentCount < due; sentCount++) {
          batch.push(
            pool[sentCount % pool.length]!.replace(/"id":"[^"]*"/, `"id":"s-${sentCount}"`),
          );
        }
        if (tick++ % 10 === 0) {
          const id = `probe-${probes.length}`;
          batch.push(
            JSON.stringify({
              time: new Date().toISOString(),
              type: "request",
              request: { id, path: "sys/probe", remote_address: "127.0.0.1" },
            }),
          );
          probes.push({ id, sentMs: now });
        }
        const per = Math.ceil(batch.length / conns);
        sockets.forEach((s, c) => {
          const part = batch.slice(c * per, (c + 1) * per);
          if (part.length > 0) s.write(part.join("\n") + "\n");
        });
        if (due >= rate * SECONDS) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    clearInterval(poller);
    const deadline = performance.now() + 30_000;
    for (;;) {
      poll();
      if (probes.every((p) => p.seenMs !== undefined) || performance.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const achievedMs = Math.max(...probes.map((p) => p.seenMs ?? Infinity)) - t0;
    const lat = probes.map((p) => (p.seenMs ?? Infinity) - p.sentMs);
    for (const s of sockets) s.end();
    console.log(
      `| ${rate} | ${((rate * SECONDS) / (achievedMs / 1000)).toFixed(0)} | ${pct(lat, 50).toFixed(0)} ms | ${pct(lat, 99).toFixed(0)} ms | ${Math.max(...lat).toFixed(0)} ms |`,
    );
    await l.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function memory(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bg-listen-bench-"));
  const db = path.join(dir, "db");
  const sock = path.join(dir, "vault.sock");
  const proc = spawn(process.execPath, [BIN, "listen", "--db", db, "--unix", sock], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  await new Promise<void>((resolve, reject) => {
    proc.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("listening on")) resolve();
    });
    proc.on("exit", () => reject(new Error(`listen exited: ${err}`)));
  });
  const pid = proc.pid!;
  const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
  // RSS counts the index's pages the listener has touched (file-backed, given back under memory
  // pressure) as well as its own memory (anonymous): both are shown, "RSS (anon)".
  const anonBytes = (): number =>
    Number(/^RssAnon:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) * 1024;
  const both = (): string => `${mb(rssBytes(pid))} (${mb(anonBytes())}) MB`;
  const start = both();
  let peak = rssBytes(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 250);
  const socket = net.connect(sock);
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const batch = 5000;
  const marks = [0.1, 0.5, 1].map((f) => Math.round(f * MEMORY_RECORDS));
  const atMarks: string[] = [];
  const t0 = performance.now();
  let indexed = 0;
  for (let from = 0; from < MEMORY_RECORDS || indexed < MEMORY_RECORDS;) {
    if (from < MEMORY_RECORDS && from - indexed <= 20_000) {
      const n = Math.min(batch, MEMORY_RECORDS - from);
      if (!socket.write(compactEntries(from, n))) {
        await new Promise((r) => socket.once("drain", r));
      }
      from += n;
    } else {
      await new Promise((r) => setTimeout(r, 100));
      indexed = await recordCount(db);
    }
    while (atMarks.length < marks.length && indexed >= marks[atMarks.length]!) {
      atMarks.push(both());
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  socket.end();
  console.log(`\nmemory: ${MEMORY_RECORDS} entries of ~330 bytes through a unix socket`);
  console.log(
    `| RSS (anon) at start | after ${marks[0]} | after ${marks[1]} | after ${marks[2]} | peak RSS | indexed at |`,
  );
  console.log(`|---|---|---|---|---|---|`);
  console.log(
    `| ${start} | ${atMarks.join(" | ")} | ${mb(peak)} MB | ` +
      `${(MEMORY_RECORDS / seconds).toFixed(0)} entries/s |`,
  );
  await new Promise<void>((r) => {
    proc.on("exit", () => r());
    proc.kill("SIGTERM");
  });
  rmSync(dir, { recursive: true, force: true });
}

console.log(`listen bench on ${os.availableParallelism()} cores, node ${process.version}`);
if (BURST > 0) await burst();
if (SECONDS > 0) await sustained();
if (MEMORY_RECORDS > 0) await memory();
