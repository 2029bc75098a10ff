// `compare` alone, without the rest of the benchmark: compare of two devices' copies of the
// benchmark log next to index of one (bench/compare-step.ts; `npm run bench` runs it as its
// `compare` step).
//   npm run build && node dist/bench/compare-bench.js [--bytes 1G] [--workers N]
// Prints the result rows as a markdown table on stdout, progress on stderr.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureBenchData } from "./bench-data.js";
import { measureCompare } from "./compare-step.js";
import { machineInfo } from "./machine-info.js";
import { markdownTable } from "./results-table.js";
import { compareRows } from "./targets.js";
import { TempDirs } from "./temp-dirs.js";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { bytes: { type: "string", default: "1G" }, workers: { type: "string" } },
    strict: true,
  });
  const bin = path.join(REPO_ROOT, "dist", "bundle", "main.mjs");
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm run build`);
  const start = machineInfo();
  const data = await ensureBenchData(REPO_ROOT, values.bytes);
  const temp = new TempDirs();
  try {
    const run = await measureCompare({
      bin,
      data,
      temp,
      workers: values.workers === undefined ? undefined : Number(values.workers),
    });
    process.stdout.write(
      `${path.relative(REPO_ROOT, data.log)} (${data.lines} lines) and its device-B copy; ` +
        `${start.cores} cores, load ${start.loadAverage[0].toFixed(2)} at start\n\n` +
        markdownTable(compareRows(run)) +
        "\n",
    );
  } finally {
    temp.removeAll();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
