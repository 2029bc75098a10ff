// `breakglass shell`: flags only (and --salt-file read into the salt); the work is cli/run-shell.ts.
import { Option, type Command } from "commander";
import { DB_OPTION_FLAGS, DB_OPTION_HELP, resolveDbDir } from "../db-dir.js";
import { OUTPUT_FORMATS } from "../../output/output-format.js";
import type { ShellFlags } from "../run-shell.js";
import { addBackendOptions, backendFromFlags, type BackendFlags } from "../backend-option.js";

export function defineShellCommand(program: Command): void {
  const command = program
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
      "audit device salt for hash() (default $BREAKGLASS_AUDIT_SALT, else ask Vault); " +
        "shows in ps and shell history: the variable or --salt-file is safer",
    )
    .option(
      "--salt-file <file>",
      "read the audit device salt from FILE (one trailing newline dropped)",
    )
    .option("--audit-device <path>", "audit device for Vault's sys/audit-hash (default: file)");
  addBackendOptions(command).action(
    async (flags: ShellFlags & BackendFlags & { db?: string; saltFile?: string }) => {
      const [{ runShell }, { saltFromFlags }] = await Promise.all([
        import("../run-shell.js"),
        import("../../vault/audit-hash.js"),
      ]);
      const salt = await saltFromFlags(flags);
      await runShell(resolveDbDir(flags.db), { ...flags, salt }, await backendFromFlags(flags));
    },
  );
}
