// How long does revoking 10,000 leases take? Spawns dist/bench/revoke-bench.js (fake Vault on
// loopback, journaled like the CLI) and reads its default row: concurrency 8, journal fsync on,
// which is what `breakglass revoke` does. Its other rows are kept for the report.
import path from "node:path";
import { runMeasured } from "./measure.js";

export interface RevokeResult {
  readonly leases: number;
  /** The default configuration's time. */
  readonly seconds: number;
  /** revoke-bench's own table, verbatim. */
  readonly table: string;
}

export async function measureRevoke(repoRoot: string, leases: number): Promise<RevokeResult> {
  const script = path.join(repoRoot, "dist", "bench", "revoke-bench.js");
  const run = await runMeasured(process.execPath, [script, String(leases)], { cwd: repoRoot });
  if (run.code !== 0) throw new Error(`revoke-bench exited ${run.code}:\n${run.stderr}`);
  // Rows look like "          8 | yes           |    1.23 |     8130".
  const row = run.stdout
    .split("\n")
    .map((line) => line.split("|").map((cell) => cell.trim()))
    .find((cells) => cells[0] === "8" && cells[1] === "yes");
  const seconds = Number(row?.[2]);
  if (!Number.isFinite(seconds))
    throw new Error(`no default row in revoke-bench output:\n${run.stdout}`);
  return { leases, seconds, table: run.stdout.trim() };
}
