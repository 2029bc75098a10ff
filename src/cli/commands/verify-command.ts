// `breakglass verify [PATH...]`: flags only; the work is evidence/verify-index.ts.
import type { Command } from "commander";
import { DB_OPTION_FLAGS, DB_OPTION_HELP, resolveDbDir } from "../db-dir.js";

export function defineVerifyCommand(program: Command): void {
  program
    .command("verify")
    .description("have the indexed files changed since they were indexed? (exit 1 if so)")
    .argument("[paths...]", "indexed files to check (default: all)")
    .option(DB_OPTION_FLAGS, DB_OPTION_HELP)
    .option("--digest <sha256>", "also check the index against this root digest (stats --digest)")
    .option("--index-only", "with --digest: check the index only, not the files")
    .option("--json", "one JSON object per finding on stdout")
    .action(
      async (
        paths: string[],
        flags: { db?: string; digest?: string; indexOnly?: boolean; json?: boolean },
      ) => {
        const { runVerify } = await import("../run-verify.js");
        await runVerify(resolveDbDir(flags.db), paths, {
          digest: flags.digest,
          json: flags.json,
          files: !flags.indexOnly,
        });
      },
    );
}
