// `breakglass compare A B`: flags only; the work is cli/run-compare.ts (printing) and
// evidence/compare-devices.ts (the comparison).
import { InvalidArgumentError, Option, type Command } from "commander";
import { parseInputMode, parsePositiveInt } from "../parse-flags.js";
import type { CompareFlags } from "../run-compare.js";

/** --gap: seconds, or a number with s, m or h. */
function parseGap(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(value.trim());
  const n = m ? Number(m[1]) * (m[2] === "h" ? 3600 : m[2] === "m" ? 60 : 1) : NaN;
  if (!(n > 0)) throw new InvalidArgumentError("expected seconds > 0, or a number with s, m or h");
  return n;
}

export function defineCompareCommand(program: Command): void {
  program
    .command("compare")
    .description(
      "tamper check: compare two audit devices' logs (files, directories, globs, or --db-a/--db-b)",
    )
    .argument("[devices...]", "A and B: a file, directory or quoted glob each")
    .option("--db-a <dir>", "device A is this index directory")
    .option("--db-b <dir>", "device B is this index directory")
    .option(
      "--gap <seconds>",
      "report a window this long with entries on one device only",
      parseGap,
      60,
    )
    .addOption(
      new Option("--format <format>", "findings on stdout as")
        .choices(["ndjson", "table"])
        .default("ndjson"),
    )
    .option(
      "--input <framing>",
      "auto|json|syslog|docker|cri (default auto: detected)",
      parseInputMode,
    )
    .option("--workers <n>", "parse workers (default: one per core)", parsePositiveInt)
    .action(async (devices: string[], flags: CompareFlags) => {
      const { runCompare } = await import("../run-compare.js");
      await runCompare(devices, flags);
    });
}
