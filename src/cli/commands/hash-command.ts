// `breakglass hash PLAINTEXT...`: the audit HMAC of each value, one a line on stdout, computed
// locally with $BREAKGLASS_AUDIT_SALT, --salt-file FILE or --salt S, else asked of Vault's
// sys/audit-hash/<device>. With no arguments, values are read from stdin one a line (keeps them
// out of shell history).
import type { Command } from "commander";
import { createInterface } from "node:readline";
import { UsageError } from "../../errors.js";

interface HashFlags {
  salt?: string;
  saltFile?: string;
  auditDevice: string;
}

export function registerHashCommand(program: Command): void {
  program
    .command("hash")
    .description("the audit HMAC of each value, as Vault's audit log stores it")
    .argument("[plaintext...]", "values to hash (default: read from stdin, one a line)")
    .option(
      "--salt <salt>",
      "the audit device's salt (default: $BREAKGLASS_AUDIT_SALT, else ask Vault); " +
        "shows in ps and shell history: the variable or --salt-file is safer",
    )
    .option(
      "--salt-file <file>",
      "read the audit device's salt from FILE (one trailing newline dropped)",
    )
    .option("--audit-device <path>", "audit device for sys/audit-hash", "file")
    .action(async (plaintexts: string[], flags: HashFlags) => {
      let values = plaintexts;
      if (values.length === 0) {
        if (process.stdin.isTTY) {
          throw new UsageError(
            "nothing to hash",
            "give values as arguments or on stdin, one a line",
          );
        }
        values = [];
        for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
          values.push(line);
        }
      }
      const { resolveAuditHashes, saltFromFlags } = await import("../../vault/audit-hash.js");
      const salt = (await saltFromFlags(flags)) ?? (process.env.BREAKGLASS_AUDIT_SALT || undefined);
      if (salt !== undefined) {
        const hashes = await resolveAuditHashes(values, { salt });
        process.stdout.write(hashes.map((h) => h + "\n").join(""));
        return;
      }
      const [{ resolveVaultConfig }, { VaultClient }] = await Promise.all([
        import("../../vault/vault-config.js"),
        import("../../vault/vault-client.js"),
      ]);
      const config = await resolveVaultConfig();
      if (!config.token) {
        throw new UsageError(
          "no salt and no Vault token: set $BREAKGLASS_AUDIT_SALT, pass --salt-file, or set VAULT_TOKEN",
          "sys/audit-hash needs a token allowed to update sys/audit-hash/<device>",
        );
      }
      const debug = process.env.BREAKGLASS_DEBUG === "1";
      const client = new VaultClient(config, {
        ...(debug ? { debug: (line: string) => void process.stderr.write(line + "\n") } : {}),
      });
      try {
        const hashes = await resolveAuditHashes(values, { device: flags.auditDevice, client });
        process.stdout.write(hashes.map((h) => h + "\n").join(""));
      } finally {
        client.close();
      }
    });
}
