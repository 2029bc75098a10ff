// `breakglass index PATH...`: flags and output only; the work is ingest/index-files.ts.
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { DB_OPTION_FLAGS, DB_OPTION_HELP, resolveDbDir } from "../db-dir.js";
import { parseInputMode, parseMaxLineBytes, parsePositiveInt } from "../parse-flags.js";
import type { InputMode } from "../../audit/framing/input-mode.js";
import type { FollowFlags } from "../run-follow.js";

interface IndexFlags {
  db?: string;
  prefix?: string;
  input?: InputMode;
  strict?: boolean;
  json?: boolean;
  workers?: number;
  progress?: boolean;
  follow?: boolean;
  wait?: boolean;
  maxLineBytes?: number;
  backend?: string;
  ca?: string;
  reindex?: boolean;
  device?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function defineIndexCommand(program: Command): void {
  program
    .command("index")
    .description("index audit log files, directories (recursed) and globs; .gz read transparently")
    .argument("[paths...]", "log files, directories or globs")
    .option(DB_OPTION_FLAGS, DB_OPTION_HELP)
    .option("--prefix <str>", "strip this audit device prefix before every JSON object")
    .option(
      "--input <framing>",
      "auto|json|syslog|docker|cri|jsonx (default auto: detected)",
      parseInputMode,
    )
    .option("--device <name>", "label the records as from this audit device (field `device`)")
    .option("--strict", "exit 3 if any line is bad")
    .option("--json", "print the summary as one JSON object on stdout")
    .option("--workers <n>", "parse workers (default: one per core)", parsePositiveInt)
    .option("--no-progress", "no progress bar even on a terminal")
    .option("--no-wait", "exit 3 if another process is writing the index, instead of waiting")
    .option(
      "--max-line-bytes <n>",
      "a longer line is a bad line, skipped (default 67108864 = 64 MiB)",
      parseMaxLineBytes,
    )
    .option(
      "--backend <url>",
      "load into ClickHouse: clickhouse://[user@]host:port/database[?cluster=NAME] " +
        "(password from $CLICKHOUSE_PASSWORD; default $BREAKGLASS_BACKEND, else the local index)",
    )
    .option("--ca <file>", "with a clickhouses:// backend: CA certificates (PEM) to verify it")
    .option(
      "--reindex",
      "rebuild the postings of segments indexed before a field existed (or with an older " +
        "version of it) from the stored records; no PATH",
    )
    .option("--follow", "keep indexing what is appended to the file, through rotations")
    .option("--alert <name=query>", "with --follow: alert rule (repeatable, see `listen`)", collect)
    .option("--rules <file>", "with --follow: alert rules file")
    .option("--on-alert <cmd>", "with --follow: run this command per alert (alert on stdin)")
    .option("--webhook <url>", "with --follow: POST each alert as JSON here")
    .option(
      "--salt <salt>",
      "audit device salt for hash() in rules; shows in ps and shell history: " +
        "$BREAKGLASS_AUDIT_SALT or --salt-file is safer",
    )
    .option(
      "--salt-file <file>",
      "read the audit device salt for rules from FILE (one trailing newline dropped)",
    )
    .action(async (paths: string[], flags: IndexFlags & FollowFlags & { saltFile?: string }) => {
      const { resolveBackend } = await import("../../backend/backend-url.js");
      const backend = resolveBackend(flags.backend, process.env, flags.ca);
      if (flags.reindex) {
        if (paths.length > 0) {
          throw new UsageError("--reindex takes no PATH (it reads the records the index stores)");
        }
        if (flags.follow) throw new UsageError("--reindex and --follow do not go together");
        if (backend.kind === "clickhouse") {
          throw new UsageError("--reindex rebuilds the local index only (drop --backend)");
        }
        const { runReindex } = await import("../run-reindex.js");
        return runReindex(resolveDbDir(flags.db), flags);
      }
      if (paths.length === 0) {
        throw new UsageError("missing PATH: name the log files, directories or globs to index");
      }
      if (backend.kind === "clickhouse" && flags.follow) {
        throw new UsageError("--follow indexes into the local index only (drop --backend)");
      }
      if (flags.follow) {
        const [{ runFollow }, { saltFromFlags }] = await Promise.all([
          import("../run-follow.js"),
          import("../../vault/audit-hash.js"),
        ]);
        const salt = await saltFromFlags(flags);
        return runFollow(resolveDbDir(flags.db), paths, { ...flags, salt });
      }
      if (flags.alert || flags.rules || flags.onAlert || flags.webhook) {
        throw new UsageError("alert rules need --follow (or use `breakglass listen`)");
      }
      const { runIndex } = await import("../run-index.js");
      await runIndex(resolveDbDir(flags.db), paths, flags, backend);
    });
}
