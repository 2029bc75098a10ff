// Load a log into a two-shard ClickHouse cluster (two local clickhouse-server processes, the
// test harness's) with the built bin, and print MB/s, rows per shard and the bytes ClickHouse
// keeps. Usage (after `npm run build`):
//   node dist/bench/clickhouse-load-bench.js [FILE | MB] [workers]
// FILE: a log to load (e.g. bench/data/audit-1g.log); MB: generate a log of that size first
// (default 20). The lead's big run: node dist/bench/clickhouse-load-bench.js bench/data/audit-1g.log
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writeAuditLog } from "../src/demo/generate-log.js";
import { measureClickhouseLoad } from "./clickhouse-load-step.js";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = path.join(REPO_ROOT, "dist", "bundle", "main.mjs");
const arg = process.argv[2] ?? "20";
const workers = process.argv[3] === undefined ? undefined : Number(process.argv[3]);

let dir: string | undefined;
let file = arg;
if (/^\d+$/.test(arg)) {
  dir = mkdtempSync(path.join(os.tmpdir(), "bg-clickhouse-bench-"));
  file = path.join(dir, "audit.log");
  await writeAuditLog(file, { seed: 1, targetBytes: Number(arg) * 1e6, salt: "bench" });
}
try {
  const logBytes = statSync(file).size;
  const run = await measureClickhouseLoad({
    bin: BIN,
    label: path.basename(file),
    file,
    logBytes,
    workers,
  });
  const mb = logBytes / 1e6;
  const row = {
    log: run.label,
    "log MB": mb.toFixed(1),
    records: run.records,
    "bad lines": run.badLines,
    "wall s": (run.wallMs / 1000).toFixed(2),
    "MB/s": (mb / (run.wallMs / 1000)).toFixed(1),
    "peak RSS MB": run.peakRssBytes === undefined ? "?" : (run.peakRssBytes / 1e6).toFixed(0),
    "rows per shard": run.perShardRows.join(" / "),
    "ClickHouse MB": (run.clickhouseBytes / 1e6).toFixed(1),
  };
  console.log("| " + Object.keys(row).join(" | ") + " |");
  console.log(
    "|" +
      Object.keys(row)
        .map(() => "---")
        .join("|") +
      "|",
  );
  console.log("| " + Object.values(row).join(" | ") + " |");
} finally {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}
