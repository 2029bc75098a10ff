// `--backend URL` and `--ca FILE` on the commands that read (query, shell, stats, revoke --query):
// the local index by default, or data loaded into ClickHouse (docs/clickhouse.md). One definition,
// so every command words and resolves them alike.
import type { Command } from "commander";
import type { BackendTarget } from "../backend/backend-url.js";

export interface BackendFlags {
  backend?: string;
  ca?: string;
}

export function addBackendOptions(command: Command): Command {
  return command
    .option(
      "--backend <url>",
      "read from ClickHouse: clickhouse://[user@]host:port/database[?cluster=NAME] " +
        "(password from $CLICKHOUSE_PASSWORD; default $BREAKGLASS_BACKEND, else the local index)",
    )
    .option("--ca <file>", "with a clickhouses:// backend: CA certificates (PEM) to verify it");
}

/** The backend the flags and the environment name. */
export async function backendFromFlags(flags: BackendFlags): Promise<BackendTarget> {
  const { resolveBackend } = await import("../backend/backend-url.js");
  return resolveBackend(flags.backend, process.env, flags.ca);
}
