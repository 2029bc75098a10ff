// What goes into bench/RESULTS.md? The machine and whether it was idle, the file, the table of
// results against targets, and the exact baseline pipelines and notes needed to reproduce it.
import type { BenchData } from "./bench-data.js";
import { wasIdle, type MachineInfo } from "./machine-info.js";
import { fmtBytes, markdownTable, type ResultRow } from "./results-table.js";
import type { Measurements } from "./targets.js";

export interface ReportInput {
  readonly argv: readonly string[];
  readonly start: MachineInfo;
  readonly end: MachineInfo;
  readonly data: BenchData;
  readonly rows: readonly ResultRow[];
  readonly measurements: Measurements;
  readonly steps: readonly string[];
}

const load = (m: MachineInfo): string => m.loadAverage.map((l) => l.toFixed(2)).join(" / ");

export function resultsReport(input: ReportInput): string {
  const { start, end, data, measurements: m } = input;
  const idle = wasIdle(start);
  const command = ["npm run bench", ...(input.argv.length ? ["--", ...input.argv] : [])].join(" ");
  const out: string[] = [
    "# breakglass benchmark results",
    "",
    `Written by \`${command}\` (bench/run.ts). Steps run: ${input.steps.join(", ") || "none"}.`,
    "",
    "## Machine",
    "",
    `- CPU: ${start.cpuModel}, ${start.cores} cores; RAM ${fmtBytes(start.ramBytes)}`,
    `- Node ${start.node}; started ${start.date}, finished ${end.date}`,
    `- Load average (1 / 5 / 15 min) at start: ${load(start)}; at end: ${load(end)}. ` +
      (idle
        ? "The machine was otherwise idle at the start."
        : "**The machine was NOT idle at the start** (other work was running): treat the " +
          "numbers as pessimistic and rerun on a quiet machine."),
    "",
    "## Input",
    "",
    `- ${data.log.replace(/^.*\/bench\//, "bench/")}: ${fmtBytes(data.logBytes)} ` +
      `(${data.logBytes.toLocaleString("en-US")} bytes, ${data.lines.toLocaleString("en-US")} lines); ` +
      `.gz ${fmtBytes(data.gzBytes)}. Generated with seed 1, salt bench-salt.`,
    `- Compromised IP (planted): ${data.planted.compromisedIp}`,
    "- Page cache warm for every timed reader (the input is read to /dev/null first).",
    "",
    "## Results",
    "",
    markdownTable(input.rows),
    "",
    "Throughput is 1 MB = 10^6 bytes of uncompressed log over the child's wall time (Node " +
      "startup included). Whole-process times are the median of the runs after one warm-up; " +
      "in-process latencies consume every result (records with their original lines) and come " +
      "after a warm-up round. Point-lookup values are read from random lines of the log, so a " +
      "busy value (an IP with thousands of records) is asked for as often as it occurs. Ratios: " +
      "ours ÷ theirs for throughput, theirs ÷ ours for time.",
  ];
  if (m.baselines) {
    out.push("", "## Baselines as run", "");
    for (const [name, cmd] of Object.entries(m.baselines.commands)) {
      out.push(`- ${name}: \`${cmd.replace(/'[^']*\/bench\/data\//g, "'bench/data/")}\``);
    }
    if (m.process && m.process.cidrCount !== m.baselines.jqCidrCount) {
      out.push(
        "",
        `Note: \`ip in 10.100.0.0/16 | count\` = ${m.process.cidrCount} but the jq prefix scan ` +
          `counts ${m.baselines.jqCidrCount} lines (ip also matches X-Forwarded-For addresses; jq ` +
          "reads remote_address only).",
      );
    }
  }
  if (m.revoke) out.push("", "## Revoke (bench/revoke-bench.ts)", "", "```", m.revoke.table, "```");
  return out.join("\n") + "\n";
}
