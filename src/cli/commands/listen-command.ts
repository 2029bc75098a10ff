// `breakglass listen`: be a Vault `socket` audit device; flags only, the work is cli/run-listen.ts.
import { InvalidArgumentError, type Command } from "commander";
import { DB_OPTION_FLAGS, DB_OPTION_HELP, resolveDbDir } from "../db-dir.js";
import { parseMaxLineBytes, parsePositiveInt, parseInputMode } from "../parse-flags.js";
import type { ListenFlags } from "../run-listen.js";

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Seconds, up to what a Node timer holds (2^31 - 1 ms, about 24 days). */
const parseSeconds = (value: string): number => {
  const n = Number(value);
  if (!(n > 0 && n <= 2_147_483)) {
    throw new InvalidArgumentError("expected seconds > 0 (at most 2147483)");
  }
  return n;
};

export function defineListenCommand(program: Command): void {
  program
    .command("listen")
    .description("accept Vault's socket audit device stream, index it live, alert on queries")
    .option(DB_OPTION_FLAGS, DB_OPTION_HELP)
    .option("--tcp <host:port>", "listen on TCP (repeatable)", collect)
    .option("--udp <host:port>", "listen on UDP (repeatable)", collect)
    .option("--unix <path>", "listen on a unix socket (repeatable)", collect)
    .option("--prefix <str>", "strip this audit device prefix before every JSON object")
    .option("--device <name>", "label the records as from this audit device (field `device`)")
    .option(
      "--input <framing>",
      "auto|json|syslog|docker|cri|jsonx (default auto: detected)",
      parseInputMode,
    )
    .option("--workers <n>", "parse workers (default: one fewer than cores)", parsePositiveInt)
    .option("--no-wait", "exit 3 if another process is writing the index, instead of waiting")
    .option(
      "--max-line-bytes <n>",
      "a longer entry is a bad line, skipped (default 67108864 = 64 MiB)",
      parseMaxLineBytes,
    )
    .option(
      "--max-connections <n>",
      "connections open at once; more are closed as they arrive (default 256)",
      parsePositiveInt,
    )
    .option(
      "--idle-timeout <seconds>",
      "close a connection that stops in the middle of a line for this long (default 60)",
      parseSeconds,
    )
    .option("--socket-mode <mode>", "mode of --unix socket files, octal (default 600)")
    .option(
      "--alert <name=query>",
      "alert rule (repeatable): NAME='QUERY [| count by F > N within 1m]'",
      collect,
    )
    .option("--rules <file>", "alert rules file: one NAME=QUERY a line, # comments")
    .option("--on-alert <cmd>", "run this command for each alert, the alert JSON on its stdin")
    .option("--webhook <url>", "POST each alert as JSON to this URL")
    .option(
      "--salt <salt>",
      "audit device salt for hash() in rules (default $BREAKGLASS_AUDIT_SALT); " +
        "shows in ps and shell history: the variable or --salt-file is safer",
    )
    .option(
      "--salt-file <file>",
      "read the audit device salt from FILE (one trailing newline dropped)",
    )
    .action(async (flags: ListenFlags & { db?: string; saltFile?: string }) => {
      const [{ runListen }, { saltFromFlags }] = await Promise.all([
        import("../run-listen.js"),
        import("../../vault/audit-hash.js"),
      ]);
      const salt = await saltFromFlags(flags);
      await runListen(resolveDbDir(flags.db), { ...flags, salt });
    });
}
