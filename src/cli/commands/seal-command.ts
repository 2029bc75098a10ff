// `breakglass seal` (break glass: Vault stops serving until unsealed; asks on a terminal, else
// needs --yes) and `breakglass status` (sys/seal-status + sys/health, no token needed).
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { VaultClient } from "../../vault/vault-client.js";

async function makeClient(): Promise<VaultClient> {
  const [{ resolveVaultConfig }, { VaultClient }] = await Promise.all([
    import("../../vault/vault-config.js"),
    import("../../vault/vault-client.js"),
  ]);
  const debug = process.env.BREAKGLASS_DEBUG === "1";
  return new VaultClient(await resolveVaultConfig(), {
    ...(debug ? { debug: (line: string) => void process.stderr.write(line + "\n") } : {}),
  });
}

export function registerSealCommand(program: Command): void {
  program
    .command("seal")
    .description("seal Vault now (every client loses access until it is unsealed)")
    .option("-y, --yes", "do not ask for confirmation (required without a terminal)")
    .action(async (flags: { yes?: boolean }) => {
      const client = await makeClient();
      try {
        if (!client.hasToken) {
          throw new UsageError(
            "no Vault token: set VAULT_TOKEN or run `vault login` (writes ~/.vault-token)",
            "sys/seal needs a token with sudo on sys/seal",
          );
        }
        if (!flags.yes) {
          const { openTerminal, confirm } = await import("../../vault/terminal-prompt.js");
          const terminal = openTerminal();
          if (!terminal) {
            throw new UsageError(
              "refusing to seal Vault without confirmation: no terminal to ask on",
              "pass --yes to confirm",
            );
          }
          let ok: boolean;
          try {
            ok = await confirm(
              terminal,
              `Seal Vault at ${client.addr}? Every client loses access.`,
            );
          } finally {
            terminal.close();
          }
          if (!ok) throw new UsageError("not confirmed; Vault was not sealed");
        }
        const { sealVault } = await import("../../vault/vault-seal.js");
        await sealVault(client);
        process.stderr.write(`Vault at ${client.addr} is sealed\n`);
      } finally {
        client.close();
      }
    });
}

export function registerStatusCommand(program: Command): void {
  program
    .command("status")
    .description("is Vault sealed, active, reachable (sys/seal-status and sys/health)")
    .option("--json", "print one JSON object on stdout")
    .action(async (flags: { json?: boolean }) => {
      const client = await makeClient();
      try {
        const { sealStatus, vaultHealth } = await import("../../vault/vault-seal.js");
        const [seal, health] = await Promise.all([sealStatus(client), vaultHealth(client)]);
        if (flags.json) {
          process.stdout.write(JSON.stringify({ addr: client.addr, ...seal, health }) + "\n");
          return;
        }
        const role = health.sealed
          ? "sealed"
          : health.status === 200
            ? "unsealed, active"
            : health.standby
              ? "unsealed, standby"
              : `unsealed (sys/health ${health.status})`;
        const lines = [
          `Vault at ${client.addr}: ${role}`,
          `seal type ${seal.type ?? "?"}, ${seal.t} of ${seal.n} key shares unseal it`,
          ...(seal.sealed ? [`unseal progress: ${seal.progress} of ${seal.t}`] : []),
          `version ${seal.version ?? health.version ?? "?"}`,
        ];
        process.stdout.write(lines.join("\n") + "\n");
      } finally {
        client.close();
      }
    });
}
