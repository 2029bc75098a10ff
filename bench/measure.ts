// How long did a child process take, and how much memory did it hold at its peak? Wall time is
// taken around spawn → exit in this process (so it includes Node's startup, like a user sees it).
// Peak RSS comes from `/usr/bin/time -f %M` (the kernel's ru_maxrss of the child, exact) when it
// exists, else from polling /proc/<pid>/status VmHWM every 10 ms (can miss a last-moment peak).
// Also percentiles and medians over samples. Never throws on a non-zero exit: callers decide.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

const GNU_TIME = "/usr/bin/time";
/** How often the fallback samples VmHWM; 10 ms costs nothing measurable and sees most peaks. */
const RSS_POLL_MS = 10;

export interface ProcessRun {
  readonly wallMs: number;
  /** Peak resident set of the child in bytes (undefined when not asked for or unreadable). */
  readonly peakRssBytes: number | undefined;
  readonly code: number | null;
  /** Empty with `countStdout`. */
  readonly stdout: string;
  readonly stdoutBytes: number;
  readonly stdoutLines: number;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  /** Measure the child's peak RSS (adds /usr/bin/time or /proc polling). */
  readonly peakRss?: boolean;
  /** Count stdout's bytes and lines, do not keep it (a query that prints the whole log). */
  readonly countStdout?: boolean;
}

let timeFileSeq = 0;
/** Children still running; each leads its own process group (so /usr/bin/time's child goes too). */
const running = new Map<ChildProcess, string | undefined>();

/** Kill every running child's process group at once (Ctrl-C of the benchmark). */
export function killRunningChildren(): void {
  for (const [child, timeFile] of running) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
    if (timeFile !== undefined) rmSync(timeFile, { force: true });
  }
}

/** Run `command args…` to completion, capturing stdout and stderr. */
export async function runMeasured(
  command: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<ProcessRun> {
  const useGnuTime = opts.peakRss === true && existsSync(GNU_TIME);
  const timeFile = path.join(os.tmpdir(), `bg-bench-time-${process.pid}-${timeFileSeq++}.txt`);
  const [cmd, argv] = useGnuTime
    ? [GNU_TIME, ["-f", "%M", "-o", timeFile, command, ...args]]
    : [command, [...args]];
  const started = performance.now();
  const child = spawn(cmd, argv, {
    cwd: opts.cwd,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  running.set(child, useGnuTime ? timeFile : undefined);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let stdoutBytes = 0;
  let stdoutLines = 0;
  child.stdout.on("data", (b: Buffer) => {
    stdoutBytes += b.length;
    for (let at = b.indexOf(10); at >= 0; at = b.indexOf(10, at + 1)) stdoutLines++;
    if (opts.countStdout !== true) out.push(b);
  });
  child.stderr.on("data", (b: Buffer) => err.push(b));
  let polledKb: number | undefined;
  const poll =
    opts.peakRss === true && !useGnuTime && child.pid !== undefined
      ? setInterval(() => {
          const kb = readVmHwmKb(child.pid!);
          if (kb !== undefined) polledKb = Math.max(polledKb ?? 0, kb);
        }, RSS_POLL_MS)
      : undefined;
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (c) => resolve(c));
  }).finally(() => running.delete(child));
  const wallMs = performance.now() - started;
  if (poll) clearInterval(poll);
  let peakKb = polledKb;
  if (useGnuTime) {
    // On a non-zero exit GNU time writes "Command exited with non-zero status N" first.
    const lines = (await readFile(timeFile, "utf8").catch(() => "")).trim().split("\n");
    const kb = Number(lines.at(-1));
    peakKb = Number.isFinite(kb) && kb > 0 ? kb : undefined;
    rmSync(timeFile, { force: true });
  }
  return {
    wallMs,
    peakRssBytes: peakKb === undefined ? undefined : peakKb * 1024,
    code,
    stdout: Buffer.concat(out).toString("utf8"),
    stdoutBytes,
    stdoutLines,
    stderr: Buffer.concat(err).toString("utf8"),
  };
}

/** Run a bash pipeline (pipefail off, as a user types it), timed. */
export function runShell(script: string, opts: RunOptions = {}): Promise<ProcessRun> {
  return runMeasured("bash", ["-c", script], opts);
}

function readVmHwmKb(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined; // the process has exited between ticks
  }
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Disk usage of a directory in bytes (`du -sk`: allocated blocks, so sparse LMDB maps count right). */
export async function diskUsageBytes(dir: string): Promise<number> {
  const run = await runMeasured("du", ["-sk", dir]);
  const kb = Number(run.stdout.split(/\s/)[0]);
  if (run.code !== 0 || !Number.isFinite(kb))
    throw new Error(`du -sk ${dir} failed: ${run.stderr}`);
  return kb * 1024;
}
