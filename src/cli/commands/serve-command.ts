// `breakglass serve`: flags only (token, TLS and salt files read here); the work is
// src/serve/start-server.ts. Prints the start URL (it holds the access token) and what it answers
// from (the index, or the ClickHouse URL without its password) on stderr and runs until SIGINT or
// SIGTERM.
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { addBackendOptions, backendFromFlags, type BackendFlags } from "../backend-option.js";
import { DB_OPTION_FLAGS, DB_OPTION_HELP, resolveDbDir } from "../db-dir.js";

interface ServeFlags extends BackendFlags {
  listen: string;
  db?: string;
  tokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  allowRevoke?: boolean;
  hostName?: string[];
  salt?: string;
  saltFile?: string;
  auditDevice?: string;
  journal?: string;
}

export function defineServeCommand(program: Command): void {
  const command = program
    .command("serve")
    .description(
      "HTTP API (/api/v1) and web page on the index; prints the URL with its access token",
    )
    .option(
      "--listen <host:port>",
      "address to listen on (non-loopback needs --tls-cert/--tls-key)",
      "127.0.0.1:8765",
    )
    .option(DB_OPTION_FLAGS, DB_OPTION_HELP)
    .option("--token-file <file>", "read the access token from FILE (default: a new random one)")
    .option("--tls-cert <file>", "serve HTTPS with this certificate (PEM)")
    .option("--tls-key <file>", "the certificate's private key (PEM)")
    .option(
      "--host-name <name...>",
      "more names the Host header may carry (a non-loopback address's DNS name)",
    )
    .option(
      "--allow-revoke",
      "let the page revoke leases (Vault from this environment, as `revoke`)",
    )
    .option(
      "--journal <file>",
      "revoke journal (default: revoke-journal.ndjson in the index directory)",
    )
    .option(
      "--salt <salt>",
      "audit device salt for hash() (default $BREAKGLASS_AUDIT_SALT, else ask Vault); " +
        "shows in ps: the variable or --salt-file is safer",
    )
    .option(
      "--salt-file <file>",
      "read the audit device salt from FILE (one trailing newline dropped)",
    )
    .option("--audit-device <path>", "audit device for Vault's sys/audit-hash (default: file)");
  addBackendOptions(command).action(async (flags: ServeFlags) => {
    if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
      throw new UsageError("--tls-cert and --tls-key go together");
    }
    const backend = await backendFromFlags(flags);
    const [{ startServer }, { newAccessToken, readTokenFile }, { saltFromFlags }] =
      await Promise.all([
        import("../../serve/start-server.js"),
        import("../../serve/access-token.js"),
        import("../../vault/audit-hash.js"),
      ]);
    const salt = await saltFromFlags(flags);
    const dbDir = resolveDbDir(flags.db);
    const token = flags.tokenFile ? await readTokenFile(flags.tokenFile) : newAccessToken();
    const server = await startServer({
      dbDir,
      backend,
      listen: flags.listen,
      token,
      tls:
        flags.tlsCert && flags.tlsKey
          ? { certFile: flags.tlsCert, keyFile: flags.tlsKey }
          : undefined,
      allowRevoke: flags.allowRevoke ?? false,
      hostNames: flags.hostName,
      hash: { salt, auditDevice: flags.auditDevice },
      journalFile: flags.journal,
    });
    // Handlers go in before the URL is printed, so a signal sent on reading it is handled.
    const closed = new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        void server.close().then(resolve, resolve);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    const source =
      backend.kind === "clickhouse" ? `ClickHouse ${server.backend}` : `the index in ${dbDir}`;
    process.stderr.write(
      `breakglass serve: open ${flags.tokenFile ? server.url : server.startUrl}\n` +
        `  answering from ${source}\n` +
        (flags.tokenFile ? `  (with ?token= and the token in ${flags.tokenFile})\n` : "") +
        `  revoking is ${flags.allowRevoke ? "ON (--allow-revoke)" : "off"}; Ctrl-C stops the server\n`,
    );
    await closed;
  });
}
