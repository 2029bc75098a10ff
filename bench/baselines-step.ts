// What do the incident-response guide's shell pipelines cost on the same file? The numbers our
// results are divided by: a jq select scan for one IP, grep|jq and zcat|grep|jq for that IP's
// lease ids, and a jq scan for a /16 counted with wc -l. Page cache warm; short pipelines take
// the median of several runs, the long jq scans run once (tens of seconds each on 1 GiB).
import { warmPageCache, type BenchData } from "./bench-data.js";
import { median, runShell } from "./measure.js";

export const CIDR = "10.100.0.0/16";
/** The jq spelling of CIDR (jq has no CIDR match; a string prefix is the usual stand-in). */
const CIDR_JQ_PREFIX = "10.100.";

export interface Baselines {
  readonly jqSelectIpMs: number;
  readonly grepJqLeasesMs: number;
  readonly grepJqLeases: readonly string[];
  readonly zcatGrepJqLeasesMs: number;
  readonly jqCidrScanMs: number;
  readonly jqCidrCount: number;
  /** Every address with its count: jq | sort | uniq -c, against `* | count by ip`. */
  readonly jqCountByIpMs: number;
  readonly jqCountByIpGroups: number;
  /** The pipelines as run, for the report. */
  readonly commands: Readonly<Record<string, string>>;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

async function timed(script: string, runs: number): Promise<{ ms: number; stdout: string }> {
  const times: number[] = [];
  let stdout = "";
  for (let i = 0; i < runs; i++) {
    const run = await runShell(script);
    if (run.code !== 0) throw new Error(`baseline failed (${run.code}): ${script}\n${run.stderr}`);
    times.push(run.wallMs);
    stdout = run.stdout;
  }
  return { ms: median(times), stdout };
}

const LEASE_JQ = `jq -r '.response.secret.lease_id // empty'`;

/** The incident guide's way to list the compromised IP's leases: `grep -F IP log | jq …`. */
export function grepJqLeasesCommand(data: BenchData): string {
  return `grep -F -- ${quote(data.planted.compromisedIp)} ${quote(data.log)} | ${LEASE_JQ}`;
}

export async function measureBaselines(data: BenchData, runs: number): Promise<Baselines> {
  const ip = data.planted.compromisedIp;
  const leaseJq = LEASE_JQ;
  const commands = {
    jqSelectIp: `jq -c 'select(.request.remote_address=="${ip}")' ${quote(data.log)} > /dev/null`,
    grepJq: grepJqLeasesCommand(data),
    zcatGrepJq: `zcat -- ${quote(data.gz)} | grep -F -- ${quote(ip)} | ${leaseJq}`,
    jqCidr:
      `jq -c 'select((.request.remote_address // "") | startswith("${CIDR_JQ_PREFIX}"))' ` +
      `${quote(data.log)} | wc -l`,
    jqCountByIp:
      `jq -r '.request.remote_address // empty' ${quote(data.log)} | sort | uniq -c | ` +
      `sort -rn | wc -l`,
  };
  await warmPageCache(data.log);
  await warmPageCache(data.gz);
  process.stderr.write("  jq select (one IP) …\n");
  const jqSelect = await timed(commands.jqSelectIp, 1);
  process.stderr.write("  grep | jq …\n");
  const grepJq = await timed(commands.grepJq, runs);
  process.stderr.write("  zcat | grep | jq …\n");
  const zcat = await timed(commands.zcatGrepJq, runs);
  process.stderr.write(`  jq select ${CIDR} | wc -l …\n`);
  const cidr = await timed(commands.jqCidr, 1);
  process.stderr.write("  jq | sort | uniq -c (addresses) …\n");
  const countBy = await timed(commands.jqCountByIp, 1);
  return {
    jqSelectIpMs: jqSelect.ms,
    grepJqLeasesMs: grepJq.ms,
    grepJqLeases: grepJq.stdout.split("\n").filter(Boolean),
    zcatGrepJqLeasesMs: zcat.ms,
    jqCidrScanMs: cidr.ms,
    jqCidrCount: Number(cidr.stdout.trim()),
    jqCountByIpMs: countBy.ms,
    jqCountByIpGroups: Number(countBy.stdout.trim()),
    commands,
  };
}
