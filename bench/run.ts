// `npm run bench`: the whole benchmark against the issues' targets, on one generated log.
//   npm run bench [-- --bytes 200M] [--only ingest,query] [--skip-ingest] [--skip-baselines]
//                 [--skip-latency] [--skip-process] [--skip-heavy] [--skip-revoke] [--skip-compare]
//                 [--skip-http] [--db DIR]
//                 [--iterations 200] [--runs 7] [--baseline-runs 3] [--leases 10000]
//                 [--subquery-values 28000] [--results bench/RESULTS.md]
// Steps, in the order run: ingest (bin, 1 worker / all cores / .gz), compare (two devices' copies
// of the log, against the all-cores ingest time), baselines (jq, grep|jq,
// zcat|grep|jq), process (whole `breakglass query` runs), heavy (sort, pair, a big subquery: time
// and peak RSS, once each), revoke (10k leases), http (`breakglass serve`: `ip = X | leases` over
// HTTP, then 50 clients at once), latency (in-process queries).
// Prints the results table on stdout (progress on stderr) and writes bench/RESULTS.md. Every temp
// index is removed at the end, on error and on Ctrl-C. Run it on an otherwise idle machine.
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { measureBaselines } from "./baselines-step.js";
import { measureCompare } from "./compare-step.js";
import { ensureBenchData } from "./bench-data.js";
import { measureHeavyQueries } from "./heavy-query-step.js";
import { measureHttp } from "./http-step.js";
import { measureIngest, warmIndex } from "./ingest-step.js";
import { measureLatency } from "./latency-step.js";
import { machineInfo, wasIdle } from "./machine-info.js";
import { killRunningChildren, runMeasured } from "./measure.js";
import { measureProcessQueries } from "./process-query-step.js";
import { resultsReport } from "./results-report.js";
import { markdownTable } from "./results-table.js";
import { measureRevoke } from "./revoke-step.js";
import { sampleValues } from "./sample-values.js";
import { resultRows, type Measurements } from "./targets.js";
import { TempDirs } from "./temp-dirs.js";

const STEPS = [
  "ingest",
  "compare",
  "baselines",
  "process",
  "heavy",
  "revoke",
  "http",
  "latency",
] as const;
type Step = (typeof STEPS)[number];
/** Names --only/--skip-* accept beyond the steps themselves. */
const ALIASES: Record<string, readonly Step[]> = { query: ["latency", "process", "heavy"] };

/** dist/bench/run.js → the repository root. */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`--${name} must be a positive integer`);
  return n;
}

function stepsFrom(list: string): Step[] {
  return list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .flatMap((name) => {
      if ((STEPS as readonly string[]).includes(name)) return [name as Step];
      const alias = ALIASES[name];
      if (alias) return [...alias];
      throw new RangeError(`unknown step ${name} (steps: ${[...STEPS, "query"].join(", ")})`);
    });
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      bytes: { type: "string", default: "1G" },
      only: { type: "string" },
      "skip-ingest": { type: "boolean", default: false },
      "skip-baselines": { type: "boolean", default: false },
      "skip-latency": { type: "boolean", default: false },
      "skip-process": { type: "boolean", default: false },
      "skip-heavy": { type: "boolean", default: false },
      "skip-query": { type: "boolean", default: false },
      "skip-revoke": { type: "boolean", default: false },
      "skip-compare": { type: "boolean", default: false },
      "skip-http": { type: "boolean", default: false },
      db: { type: "string" },
      iterations: { type: "string", default: "200" },
      runs: { type: "string", default: "7" },
      "baseline-runs": { type: "string", default: "3" },
      leases: { type: "string", default: "10000" },
      "subquery-values": { type: "string", default: "28000" },
      results: { type: "string", default: path.join(REPO_ROOT, "bench", "RESULTS.md") },
    },
    strict: true,
  });
  const steps = new Set<Step>(values.only !== undefined ? stepsFrom(values.only) : STEPS);
  for (const step of [...STEPS, "query"]) {
    if (values[`skip-${step}` as keyof typeof values] === true) {
      for (const s of stepsFrom(step)) steps.delete(s);
    }
  }
  return {
    bytes: values.bytes,
    steps: STEPS.filter((s) => steps.has(s)),
    db: values.db,
    iterations: positiveInt("iterations", values.iterations),
    runs: positiveInt("runs", values.runs),
    baselineRuns: positiveInt("baseline-runs", values["baseline-runs"]),
    leases: positiveInt("leases", values.leases),
    subqueryValues: positiveInt("subquery-values", values["subquery-values"]),
    results: values.results,
  };
}

async function main(argv: string[]): Promise<void> {
  const opts = parse(argv);
  const has = (s: Step): boolean => opts.steps.includes(s);
  const bin = path.join(REPO_ROOT, "dist", "bundle", "main.mjs");
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm run build`);
  const start = machineInfo();
  if (!wasIdle(start)) {
    process.stderr.write(
      `warning: load average ${start.loadAverage[0].toFixed(2)} on ${start.cores} cores: ` +
        "the machine is busy, numbers will be pessimistic\n",
    );
  }
  const data = await ensureBenchData(REPO_ROOT, opts.bytes);
  const temp = new TempDirs();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping, removing temp indexes\n`);
      killRunningChildren();
      temp.removeAll();
      process.exit(signal === "SIGINT" ? 130 : 143);
    });
  }
  const m: Measurements = {};
  try {
    const needDb =
      (has("latency") || has("process") || has("heavy") || has("http")) && opts.db === undefined;
    if (has("ingest")) {
      process.stderr.write("ingest …\n");
      const common = { bin, temp, logBytes: data.logBytes };
      m.ingestOne = await measureIngest({
        ...common,
        label: "1 worker",
        file: data.log,
        workers: 1,
        keepDb: false,
      });
      m.ingestAll = await measureIngest({
        ...common,
        label: "all cores",
        file: data.log,
        workers: undefined,
        keepDb: needDb,
      });
      m.ingestGz = await measureIngest({
        ...common,
        label: ".gz, all cores",
        file: data.gz,
        workers: undefined,
        keepDb: false,
      });
    }
    if (has("compare")) {
      process.stderr.write("compare …\n");
      m.compare = await measureCompare({ bin, data, temp, index: m.ingestAll });
    }
    if (has("baselines")) {
      process.stderr.write("baselines …\n");
      m.baselines = await measureBaselines(data, opts.baselineRuns);
    }
    let db: string | undefined;
    if (has("latency") || has("process") || has("heavy") || has("http")) {
      db = opts.db ?? m.ingestAll?.db;
      if (db === undefined) {
        process.stderr.write("building an index for the query steps (not timed) …\n");
        db = temp.make("query");
        const run = await runMeasured(process.execPath, [bin, "index", "--db", db, data.log]);
        if (run.code !== 0) throw new Error(`index exited ${run.code}:\n${run.stderr}`);
      }
      await warmIndex(db);
    }
    // The in-process step goes last: afterwards this process holds a large heap that V8 keeps
    // collecting while it waits on children, and every child ran slower (in one A/B, the
    // `ip = X | leases` median 143 -> 160 ms and grep | jq 511 -> 582 ms).
    if (has("process")) {
      process.stderr.write("query, whole process …\n");
      m.process = await measureProcessQueries(bin, db!, data, opts.runs);
    }
    if (has("heavy")) {
      process.stderr.write("heavy queries, whole process …\n");
      m.heavy = await measureHeavyQueries(bin, db!, opts.subqueryValues);
    }
    if (has("revoke")) {
      process.stderr.write(`revoke ${opts.leases} leases …\n`);
      m.revoke = await measureRevoke(REPO_ROOT, opts.leases);
    }
    if (has("http")) {
      process.stderr.write("serve over HTTP …\n");
      m.http = await measureHttp(
        bin,
        db!,
        sampleValues(data.log, opts.iterations),
        opts.iterations,
        temp,
      );
    }
    if (has("latency")) {
      process.stderr.write("query latency, in-process …\n");
      m.latency = await measureLatency(
        db!,
        sampleValues(data.log, opts.iterations),
        opts.iterations,
      );
    }
  } finally {
    temp.removeAll();
  }
  const rows = resultRows(m, data.logBytes);
  process.stdout.write(markdownTable(rows) + "\n");
  const report = resultsReport({
    argv,
    start,
    end: machineInfo(),
    data,
    rows,
    measurements: m,
    steps: opts.steps,
  });
  writeFileSync(opts.results, report);
  process.stderr.write(`wrote ${path.relative(process.cwd(), opts.results) || opts.results}\n`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode =
    err instanceof RangeError || (err instanceof TypeError && "code" in err) ? 2 : 1;
});
