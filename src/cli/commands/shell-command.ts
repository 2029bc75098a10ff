// `breakglass shell`: flags only; the work is cli/run-shell.ts.
import { Option, type Command } from "commander";
import { DB_OPTION_FLAGS, DB_OPTION_HELP, resolveDbDir } from "../db-dir.js";
import { OUTPUT_FORMATS } from "../../output/output-format.js";
import type { ShellFlags } from "../run-shell.js";

export function defineShellCommand(program: Command): void {
  program
    .command("shell")
    .description(
      "interactive queries on an open index (history, Tab completion, \\help); " +
        "with stdin piped, one query a line",
    )
    .option(DB_OPTION_FLAGS, DB_OPTION_HELP)
    .addOption(
      // auto: plain for a pipeline ending in leases, distinct, count…, else ndjson (as `query`).
      new Option("--format <format>", "output format (default: auto)").choices([
        ...OUTPUT_FORMATS,
        "auto",
      ]),
    )
    .option(
      "--salt <salt>",
      "audit device salt for hash() (default $BREAKGLASS_AUDIT_SALT, else ask Vault)",
    )
    .option("--audit-device <path>", "audit device for Vault's sys/audit-hash (default: file)")
    .action(async (flags: ShellFlags & { db?: string }) => {
      const { runShell } = await import("../run-shell.js");
      await runShell(resolveDbDir(flags.db), flags);
    });
}
