// `breakglass listen`: be a Vault `socket` audit device; flags only, the work is cli/run-listen.ts.
import type { Command } from "commander";
import { DB_OPTION_FLAGS, DB_OPTION_HELP, resolveDbDir } from "../db-dir.js";
import { parseMaxLineBytes, parsePositiveInt, parseInputMode } from "../parse-flags.js";
import type { ListenFlags } from "../run-listen.js";

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function defineListenCommand(program: Command): void {
  program
    .command("listen")
    .description("accept Vault's socket audit device stream, index it live, alert on queries")
    .option(DB_OPTION_FLAGS, DB_OPTION_HELP)
    .option("--tcp <host:port>", "listen on TCP (repeatable)", collect)
    .option("--udp <host:port>", "listen on UDP (repeatable)", collect)
    .option("--unix <path>", "listen on a unix socket (repeatable)", collect)
    .option("--prefix <str>", "strip this audit device prefix before every JSON object")
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
      "--alert <name=query>",
      "alert rule (repeatable): NAME='QUERY [| count by F > N within 1m]'",
      collect,
    )
    .option("--rules <file>", "alert rules file: one NAME=QUERY a line, # comments")
    .option("--on-alert <cmd>", "run this command for each alert, the alert JSON on its stdin")
    .option("--webhook <url>", "POST each alert as JSON to this URL")
    .option(
      "--salt <salt>",
      "audit device salt for hash() in rules (default $BREAKGLASS_AUDIT_SALT)",
    )
    .action(async (flags: ListenFlags & { db?: string }) => {
      const { runListen } = await import("../run-listen.js");
      await runListen(resolveDbDir(flags.db), flags);
    });
}
