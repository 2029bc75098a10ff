// The scan workers (piscina, one per core), created on the first large scan of a process and
// reused by the queries after it (the shell keeps one). piscina itself is loaded then too: a
// one-shot query that needs no scan does not pay its ~20 ms of start-up.
import { createRequire } from "node:module";
import os from "node:os";
import type { Piscina } from "piscina";
import { builtWorker } from "../built-worker.js";
import type { ScanResult, ScanTask } from "./scan-protocol.js";

let pool: Piscina<ScanTask, ScanResult> | undefined;

export async function scanPool(): Promise<Piscina<ScanTask, ScanResult>> {
  if (!pool) {
    // require, not import(): the bin runs as a vm.Script with a code cache, where Node 20 loses
    // the dynamic-import callback ("A dynamic import callback was not specified").
    const { Piscina } = createRequire(import.meta.url)("piscina") as typeof import("piscina");
    pool ??= new Piscina<ScanTask, ScanResult>({
      filename: builtWorker("query/scan-worker.js"),
      minThreads: 0,
      maxThreads: Math.max(1, os.availableParallelism()),
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
