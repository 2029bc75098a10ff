// A real VaultClient pointed at a fake Vault, configured from an environment as the CLI would be
// (never from ~/.vault-token: the home directory is one that does not exist).
import { VaultClient } from "../../src/vault/vault-client.js";
import { resolveVaultConfig } from "../../src/vault/vault-config.js";
import type { FakeVault } from "./fake-vault-server.js";

export async function vaultClientFor(
  vault: FakeVault,
  opts: { token?: string; env?: Record<string, string>; maxSockets?: number } = {},
): Promise<VaultClient> {
  const config = await resolveVaultConfig(
    { VAULT_ADDR: vault.addr, VAULT_TOKEN: opts.token ?? vault.rootToken, ...opts.env },
    { homeDir: "/nonexistent" },
  );
  return new VaultClient(
    config,
    opts.maxSockets === undefined ? {} : { maxSockets: opts.maxSockets },
  );
}
