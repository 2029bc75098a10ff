// `breakglass query 'QUERY'`: flags only (and --salt-file read into the salt); the work is
// cli/run-query-command.ts.
import { Option, type Command } from "commander";
import { OUTPUT_FORMATS } from "../../output/output-format.js";
import { DB_OPTION_FLAGS, DB_OPTION_HELP, resolveDbDir } from "../db-dir.js";
import { parseNonNegativeInt } from "../parse-flags.js";
import type { QueryFlags } from "../run-query-command.js";
import { addBackendOptions, backendFromFlags, type BackendFlags } from "../backend-option.js";

export function defineQueryCommand(program: Command): void {
  const command = program
    .command("query")
    .description("run a query against the index (see README: the query language)")
    .argument("<query>", "e.g. 'ip = 10.103.9.43 | leases'")
    .option(DB_OPTION_FLAGS, DB_OPTION_HELP)
    .addOption(new Option("--format <format>", "output format").choices([...OUTPUT_FORMATS]))
    .option("--limit <n>", "stop after n results", parseNonNegativeInt)
    .option("-e, --exit-status", "exit 1 when nothing matched")
    .option("--explain", "print the plan with estimated and actual sizes on stderr")
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
    async (
      query: string,
      flags: QueryFlags & BackendFlags & { db?: string; saltFile?: string },
    ) => {
      const [{ runQueryCommand }, { saltFromFlags }] = await Promise.all([
        import("../run-query-command.js"),
        import("../../vault/audit-hash.js"),
      ]);
      const salt = await saltFromFlags(flags);
      const backend = await backendFromFlags(flags);
      await runQueryCommand(resolveDbDir(flags.db), query, { ...flags, salt }, backend);
    },
  );
}
