// `breakglass demo`: a sample log with planted incidents, indexed and queried (demo/run-demo.ts).
import type { Command } from "commander";
import { ExitCode } from "../../errors.js";
import { parsePositiveInt } from "../parse-flags.js";

export function defineDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("make a sample log with planted incidents, index it, run the guide's scenarios")
    .option("--dir <dir>", "where to write the sample log and its index (default: a temp dir)")
    .option("--mb <n>", "size of the sample log in MB", parsePositiveInt, 50)
    .action(async (flags: { dir?: string; mb: number }) => {
      const { runDemo } = await import("../../demo/run-demo.js");
      const { failed } = await runDemo({
        dir: flags.dir,
        bytes: flags.mb * 1e6,
        out: process.stdout,
      });
      if (failed > 0) process.exitCode = ExitCode.internal;
    });
}
