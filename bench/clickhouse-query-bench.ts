// The bench's point, CIDR and `count by` queries on a two-shard ClickHouse cluster beside the local
// index, in one run, through the built bin (wall time as a user sees it: Node startup, connecting
// or opening the index, the query, printing). Loads the same log into both, checks that each query
// prints the same bytes on both, and prints a table of medians. Usage (after `npm run build`):
//   node dist/bench/clickhouse-query-bench.js [FILE | MB] [runs] [ip]
// FILE: a log (e.g. bench/data/audit-1g.log); MB: generate a log of that size first (default 20).
// The two servers are the test harness's, on this machine's cores beside the bin: ClickHouse's
// numbers are a floor for a real cluster, not its speed.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { plantedIncidents, writeAuditLog } from "../src/demo/generate-log.js";
import { CIDR } from "./baselines-step.js";
import { median, runMeasured } from "./measure.js";
import {
  CLICKHOUSE_TEST_PASSWORD,
  startClickhouseCluster,
} from "../test/helpers/clickhouse-cluster.js";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = path.join(REPO_ROOT, "dist", "bundle", "main.mjs");
const arg = process.argv[2] ?? "20";
const RUNS = Number(process.argv[3] ?? 5);
/** The address of the point query (default: the planted one, or the log's first). */
const IP = process.argv[4];

/** An address of the log to look up: the planted compromised host, else the first one seen. */
function pointAddress(file: string, generated: string | undefined): string {
  if (generated !== undefined) return generated;
  // Only the first MiB: a 1 GiB log does not fit in one string.
  const fd = openSync(file, "r");
  const buf = Buffer.alloc(1 << 20);
  const head = buf.toString("utf8", 0, readSync(fd, buf, 0, buf.length, 0));
  closeSync(fd);
  const m = /"remote_address":"([0-9.]+)/.exec(head);
  if (!m) throw new Error(`no request.remote_address in the first MiB of ${file}`);
  return m[1]!;
}

async function bin(args: string[]) {
  const run = await runMeasured(process.execPath, [BIN, ...args]);
  if (run.code !== 0)
    throw new Error(`breakglass ${args.join(" ")} exited ${run.code}:\n${run.stderr}`);
  return run;
}

async function medianMs(args: string[]) {
  const times: number[] = [];
  let stdout = "";
  for (let i = 0; i <= RUNS; i++) {
    const run = await bin(args);
    if (i > 0) times.push(run.wallMs); // run 0 warms caches
    stdout = run.stdout;
  }
  return { ms: median(times), stdout };
}

const dir = mkdtempSync(path.join(os.tmpdir(), "bg-clickhouse-query-bench-"));
let file = arg;
let planted: string | undefined;
if (/^\d+$/.test(arg)) {
  file = path.join(dir, "audit.log");
  const opts = { seed: 1, targetBytes: Number(arg) * 1e6, salt: "bench" };
  await writeAuditLog(file, opts);
  planted = plantedIncidents(opts)?.compromisedIp;
}
const cluster = await startClickhouseCluster();
try {
  const db = path.join(dir, "db");
  const url = cluster.url("bench_query", { cluster: true });
  process.env.CLICKHOUSE_PASSWORD = CLICKHOUSE_TEST_PASSWORD; // the bin reads it from here
  process.stderr.write(
    `loading ${file} (${(statSync(file).size / 1e6).toFixed(1)} MB) into both …\n`,
  );
  await bin(["index", "--db", db, "--no-progress", file]);
  await bin(["index", "--backend", url, "--no-progress", file]);
  const queries = [
    { name: "point", text: `ip = ${IP ?? pointAddress(file, planted)} | leases` },
    { name: "CIDR", text: `ip in ${CIDR} | count` },
    { name: "count by", text: "* | count by ip" },
  ];
  const rows: Record<string, string>[] = [];
  for (const q of queries) {
    process.stderr.write(`  '${q.text}' ×${RUNS} on each …\n`);
    const local = await medianMs(["query", "--db", db, q.text]);
    const ch = await medianMs(["query", "--backend", url, q.text]);
    if (ch.stdout !== local.stdout)
      throw new Error(`'${q.text}' answers differently on ClickHouse`);
    rows.push({
      query: "`" + q.text.replaceAll("|", "\\|") + "`",
      "output lines": String(local.stdout.split("\n").filter(Boolean).length),
      "local index ms": local.ms.toFixed(0),
      "ClickHouse (2 shards) ms": ch.ms.toFixed(0),
    });
  }
  const keys = Object.keys(rows[0]!);
  console.log(`| ${keys.join(" | ")} |`);
  console.log(`|${keys.map(() => "---").join("|")}|`);
  for (const r of rows) console.log(`| ${keys.map((k) => r[k]).join(" | ")} |`);
  console.log(`\n(median of ${RUNS} runs of the bin after one warm-up; same answers on both)`);
} finally {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
