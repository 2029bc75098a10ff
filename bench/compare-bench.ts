// How long does `breakglass compare A B` take on two devices' copies of one log, next to
// `breakglass index` of one copy? The target (issue #11): compare of two 1 GiB devices in at most
// twice the time index takes for one.
//   npm run build && node dist/bench/compare-bench.js [--bytes 1G] [--workers N]
// Device A is the benchmark log (bench/data/audit-<size>.log, generated when missing); device B
// is the same entries as a second device writes them: every HMAC value re-keyed with another
// salt (HMAC of the value, so equal values stay equal: one to one, as Vault's salts make them),
// written once to bench/data/audit-<size>.device-b.log. Both runs are whole processes of the
// built bin, page cache warm, peak RSS from /usr/bin/time; compare must exit 0 (they agree).
// Prints a markdown table on stdout, progress on stderr.
import { createHmac } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, renameSync, statSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureBenchData, sizeLabel, warmPageCache } from "./bench-data.js";
import { machineInfo } from "./machine-info.js";
import { runMeasured, type ProcessRun } from "./measure.js";
import { TempDirs } from "./temp-dirs.js";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const DEVICE_B_SALT = "bench-device-b";
const HMAC = /hmac-sha256:[0-9a-f]{64}/g;

/** Device B's copy of `log`: the same lines with every HMAC re-keyed (made once, then reused). */
async function deviceBCopy(log: string, out: string): Promise<void> {
  if (existsSync(out)) return;
  process.stderr.write(`writing ${path.relative(REPO_ROOT, out)} (device B) …\n`);
  const tmp = `${out}.tmp`;
  const w = createWriteStream(tmp);
  const rekey = (v: string): string =>
    "hmac-sha256:" + createHmac("sha256", DEVICE_B_SALT).update(v).digest("hex");
  let batch = "";
  for await (const line of createInterface({ input: createReadStream(log), crlfDelay: Infinity })) {
    batch += line.replace(HMAC, rekey) + "\n";
    if (batch.length >= 1 << 20) {
      if (!w.write(batch)) await new Promise<void>((r) => w.once("drain", () => r()));
      batch = "";
    }
  }
  w.write(batch);
  await new Promise<void>((resolve, reject) =>
    w.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  renameSync(tmp, out);
}

function table(rows: readonly string[][]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [line(rows[0]!), line(rows[0]!.map(() => "---")), ...rows.slice(1).map(line)].join("\n");
}

function row(label: string, run: ProcessRun, logBytes: number): string[] {
  const s = run.wallMs / 1000;
  return [
    label,
    `${s.toFixed(2)} s`,
    `${(logBytes / 1e6 / s).toFixed(1)} MB/s`,
    run.peakRssBytes === undefined ? "-" : `${Math.round(run.peakRssBytes / 2 ** 20)} MiB`,
  ];
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { bytes: { type: "string", default: "1G" }, workers: { type: "string" } },
    strict: true,
  });
  const bin = path.join(REPO_ROOT, "dist", "bundle", "main.mjs");
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm run build`);
  const data = await ensureBenchData(REPO_ROOT, values.bytes);
  const deviceB = path.join(
    REPO_ROOT,
    "bench",
    "data",
    `audit-${sizeLabel(values.bytes)}.device-b.log`,
  );
  await deviceBCopy(data.log, deviceB);
  const workers = values.workers === undefined ? [] : ["--workers", values.workers];
  const temp = new TempDirs();
  const start = machineInfo();
  try {
    await warmPageCache(data.log);
    process.stderr.write("index (one device) …\n");
    const db = temp.make("compare-index");
    const index = await runMeasured(
      process.execPath,
      [bin, "index", "--db", db, data.log, "--json", "--no-progress", ...workers],
      { peakRss: true },
    );
    if (index.code !== 0) throw new Error(`index exited ${index.code}:\n${index.stderr}`);
    temp.remove(db);
    await warmPageCache(data.log);
    await warmPageCache(deviceB);
    process.stderr.write("compare (two devices) …\n");
    const compare = await runMeasured(
      process.execPath,
      [bin, "compare", data.log, deviceB, ...workers],
      { peakRss: true, countStdout: true },
    );
    if (compare.code !== 0) {
      throw new Error(
        `compare exited ${compare.code} (${compare.stdoutLines} findings): the copies should agree\n${compare.stderr}`,
      );
    }
    const ratio = compare.wallMs / index.wallMs;
    const bBytes = statSync(deviceB).size;
    process.stdout.write(
      `compare bench: ${path.relative(REPO_ROOT, data.log)} (${data.lines} lines) and its device-B copy; ` +
        `${start.cores} cores, load ${start.loadAverage[0].toFixed(2)} at start\n\n` +
        table([
          ["run", "wall", "throughput", "peak RSS"],
          row("index, one device", index, data.logBytes),
          row("compare, two devices", compare, data.logBytes + bBytes),
        ]) +
        `\n\ncompare / index = ${ratio.toFixed(2)}× (target ≤ 2×: ${ratio <= 2 ? "met" : "not met"})\n`,
    );
  } finally {
    temp.removeAll();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
