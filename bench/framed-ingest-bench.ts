// What does a framing cost at ingest? The bench log (bench/data/audit-<size>.log, made by
// bench-data.ts when missing) against the same entries framed (a copy beside it,
// audit-<size>.<framing>.log, written once and reused), each indexed by the built bin on a fresh
// db with the page cache warm (ingest-step.ts), interleaved (plain, framed, plain, framed, …) so
// machine noise hits both alike. Prints each run, then the median time, MB/s and entries/s of each
// and the framed log's rate (entries a second) as a share of the plain log's (the target: within
// 10 %); fails when a run indexes other records than the log's entries, or any bad line.
//
// Usage (after npm run build):
//   node dist/bench/framed-ingest-bench.js [--bytes 1G] [--runs 3] [--framing syslog] [--workers N]
// --framing: syslog (rsyslog high precision, tag[pid]), syslog3164 (<PRI>, BSD time), docker,
// cri; a comma list runs each against the plain log.
import { createReadStream, createWriteStream, existsSync, renameSync, statSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureBenchData } from "./bench-data.js";
import { measureIngest, type IngestRun } from "./ingest-step.js";
import { median } from "./measure.js";
import { TempDirs } from "./temp-dirs.js";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** How each framing writes line `i` of the plain log. */
const FRAMES: Record<string, (line: string, i: number) => string> = {
  syslog: (line, i) =>
    `2026-11-29T10:00:${String(i % 60).padStart(2, "0")}.123456+00:00 vault-0 vault[1234]: ${line}`,
  syslog3164: (line, i) =>
    `<134>Nov 29 10:00:${String(i % 60).padStart(2, "0")} vault-0 vault[1234]: ${line}`,
  docker: (line) =>
    JSON.stringify({ log: line + "\n", stream: "stdout", time: "2026-11-29T10:00:00.1Z" }),
  cri: (line) => `2026-11-29T10:00:00.123456789Z stdout F ${line}`,
};

/** The framed copy of `plain`, written once (through a temp name, so a cut run leaves none). */
async function framedCopy(plain: string, framing: string): Promise<string> {
  const frame = FRAMES[framing];
  if (frame === undefined) {
    throw new Error(`unknown framing ${framing}: one of ${Object.keys(FRAMES).join(", ")}`);
  }
  const to = plain.replace(/\.log$/, `.${framing}.log`);
  if (existsSync(to) && statSync(to).mtimeMs >= statSync(plain).mtimeMs) return to;
  process.stderr.write(`writing ${path.relative(REPO_ROOT, to)} …\n`);
  const partial = `${to}.partial`;
  const out = createWriteStream(partial);
  let i = 0;
  for await (const line of readline.createInterface({ input: createReadStream(plain) })) {
    if (!out.write(frame(line, i++) + "\n"))
      await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((resolve, reject) => {
    out.once("error", reject);
    out.end(() => resolve());
  });
  renameSync(partial, to);
  return to;
}

const mbps = (r: IngestRun, bytes: number): number => bytes / 1e6 / (r.wallMs / 1000);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bytes: { type: "string", default: "1G" },
      runs: { type: "string", default: "3" },
      framing: { type: "string", default: "syslog" },
      workers: { type: "string" },
    },
  });
  const runs = Number(values.runs);
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  const bin = path.join(REPO_ROOT, "dist", "bundle", "main.mjs");
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm run build`);
  const data = await ensureBenchData(REPO_ROOT, values.bytes);
  const files: [string, string][] = [["plain", data.log]];
  for (const f of values.framing.split(",")) files.push([f, await framedCopy(data.log, f)]);

  const temp = new TempDirs();
  const rates = new Map<string, number[]>(files.map(([name]) => [name, []]));
  const seconds = new Map<string, number[]>(files.map(([name]) => [name, []]));
  let failed = false;
  console.log("run  log         size        records     bad  seconds  MB/s  peak RSS");
  for (let run = 1; run <= runs; run++) {
    for (const [name, file] of files) {
      const bytes = statSync(file).size;
      const r = await measureIngest({
        bin,
        label: name,
        file,
        logBytes: bytes,
        workers,
        temp,
        keepDb: false,
      });
      const rate = mbps(r, bytes);
      rates.get(name)!.push(rate);
      seconds.get(name)!.push(r.wallMs / 1000);
      console.log(
        `${String(run).padEnd(4)} ${name.padEnd(11)} ${(bytes / 2 ** 20).toFixed(0).padStart(6)} MiB ` +
          `${String(r.records).padStart(11)} ${String(r.badLines).padStart(5)} ` +
          `${(r.wallMs / 1000).toFixed(2).padStart(8)} ${rate.toFixed(1).padStart(5)} ` +
          `${r.peakRssBytes === undefined ? "?" : `${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB`}`,
      );
      if (r.records !== data.lines || r.badLines !== 0) {
        console.error(`${name}: ${r.records} records, ${r.badLines} bad (want ${data.lines}, 0)`);
        failed = true;
      }
    }
  }
  temp.removeAll();
  // The same entries in each file: the framed log's rate is best compared in entries a second
  // (its own MB/s also counts the framing's bytes).
  const plainSeconds = median(seconds.get("plain")!);
  console.log(`\nmedian of ${runs} runs:`);
  for (const [name] of files) {
    const s = median(seconds.get(name)!);
    const share =
      name === "plain" ? "" : `  ${((plainSeconds / s) * 100).toFixed(1)} % of plain's rate`;
    console.log(
      `  ${name.padEnd(11)} ${s.toFixed(2)} s  ${median(rates.get(name)!).toFixed(1)} MB/s  ` +
        `${Math.round(data.lines / s)} entries/s${share}`,
    );
  }
  if (failed) process.exitCode = 1;
}

await main();
