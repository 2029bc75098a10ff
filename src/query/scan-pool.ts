// The scan workers (piscina, one per core), created on the first large scan of a process and
// reused by the queries after it (the shell keeps one).
import os from "node:os";
import { Piscina } from "piscina";
import { builtWorker } from "../built-worker.js";
import type { ScanResult, ScanTask } from "./scan-protocol.js";

let pool: Piscina<ScanTask, ScanResult> | undefined;

export function scanPool(): Piscina<ScanTask, ScanResult> {
  if (!pool) {
    const threads = Math.max(1, os.availableParallelism());
    pool = new Piscina({
      filename: builtWorker("query/scan-worker.js"),
      minThreads: 0,
      maxThreads: threads,
      // Idle workers exit soon, so a one-shot command is not kept alive by them.
      idleTimeout: 500,
    });
  }
  return pool;
}

export async function closeScanPool(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.destroy();
}
