// How long does a whole `breakglass query` take, from the shell's point of view? Spawns the built
// bin (Node startup, opening the index, the query, printing) a number of times after one warm-up
// and keeps the median wall time; also checks the answer (the planted leases; the /16 count).
// The leases query alternates run by run with the `grep -F | jq` pipeline it is compared with, so
// both medians come from the same minutes of this VM (whose speed drifts by ±20 % over a run).
import { CIDR, grepJqLeasesCommand } from "./baselines-step.js";
import type { BenchData } from "./bench-data.js";
import { median, runMeasured, runShell } from "./measure.js";

export interface ProcessQueries {
  readonly leasesQuery: string;
  readonly leasesMs: number;
  readonly leases: readonly string[];
  /** Every planted lease of the compromised IP was printed. */
  readonly leasesFound: boolean;
  /** `grep -F IP log | jq …`, median of runs interleaved with the leases query's. */
  readonly grepJqLeasesMs: number;
  readonly cidrQuery: string;
  readonly cidrMs: number;
  readonly cidrCount: number;
  /** `* | count by ip` (groups counted from the term dictionary). */
  readonly countByQuery: string;
  readonly countByMs: number;
  readonly countByGroups: number;
  readonly runs: number;
}

async function medianRun(
  bin: string,
  db: string,
  query: string,
  runs: number,
  pairedShell?: string,
): Promise<{ ms: number; stdout: string; pairedMs: number }> {
  const args = [bin, "query", "--db", db, query];
  const times: number[] = [];
  const paired: number[] = [];
  let stdout = "";
  for (let i = 0; i <= runs; i++) {
    const run = await runMeasured(process.execPath, args);
    if (run.code !== 0) throw new Error(`query ${query} exited ${run.code}:\n${run.stderr}`);
    if (i > 0) times.push(run.wallMs); // run 0 warms the page cache
    stdout = run.stdout;
    if (pairedShell !== undefined) {
      const other = await runShell(pairedShell);
      if (other.code !== 0)
        throw new Error(`${pairedShell} exited ${other.code}:\n${other.stderr}`);
      if (i > 0) paired.push(other.wallMs);
    }
  }
  return { ms: median(times), stdout, pairedMs: median(paired) };
}

export async function measureProcessQueries(
  bin: string,
  db: string,
  data: BenchData,
  runs: number,
): Promise<ProcessQueries> {
  const leasesQuery = `ip = ${data.planted.compromisedIp} | leases`;
  const cidrQuery = `ip in ${CIDR} | count`;
  process.stderr.write(`  '${leasesQuery}' ×${runs} …\n`);
  const leases = await medianRun(bin, db, leasesQuery, runs, grepJqLeasesCommand(data));
  process.stderr.write(`  '${cidrQuery}' ×${runs} …\n`);
  const cidr = await medianRun(bin, db, cidrQuery, runs);
  const countByQuery = "* | count by ip";
  process.stderr.write(`  '${countByQuery}' ×${runs} …\n`);
  const countBy = await medianRun(bin, db, countByQuery, runs);
  const printed = leases.stdout.split("\n").filter(Boolean);
  return {
    leasesQuery,
    leasesMs: leases.ms,
    leases: printed,
    leasesFound: data.planted.compromisedIpLeases.every((l) => printed.includes(l)),
    grepJqLeasesMs: leases.pairedMs,
    cidrQuery,
    cidrMs: cidr.ms,
    cidrCount: Number(cidr.stdout.trim()),
    countByQuery,
    countByMs: countBy.ms,
    countByGroups: countBy.stdout.split("\n").filter(Boolean).length,
    runs,
  };
}
