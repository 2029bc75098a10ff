// `breakglass stats`: what is indexed. Readable text, or --json (the README's fields plus fileList).
import type { Command } from "commander";
import { DB_OPTION_FLAGS, DB_OPTION_HELP, resolveDbDir } from "../db-dir.js";
import { addBackendOptions, backendFromFlags, type BackendFlags } from "../backend-option.js";

export function defineStatsCommand(program: Command): void {
  const command = program
    .command("stats")
    .description("what is indexed: files, records, time span, bad lines, sizes")
    .option(DB_OPTION_FLAGS, DB_OPTION_HELP)
    .option("--json", "one JSON object on stdout")
    .option("--bad-lines", "list every bad line (file:line: reason)")
    .option("--digest", "the chain of custody: SHA-256 of each file and segment, and the root");
  addBackendOptions(command).action(
    async (
      flags: BackendFlags & { db?: string; json?: boolean; badLines?: boolean; digest?: boolean },
    ) => {
      const { runStats } = await import("../run-stats.js");
      await runStats(resolveDbDir(flags.db), flags, await backendFromFlags(flags));
    },
  );
}
