import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { VaultClient } from "../../src/vault/vault-client.js";
import {
  resetUnseal,
  sealStatus,
  sealVault,
  submitUnsealKey,
  vaultHealth,
} from "../../src/vault/vault-seal.js";
import { vaultApiPath } from "../../src/vault/vault-api-path.js";
import { FakeVault } from "../helpers/fake-vault-server.js";
import { vaultClientFor } from "../helpers/vault-client-for.js";

describe("seal and unseal", () => {
  let vault: FakeVault;
  let client: VaultClient;
  beforeAll(async () => {
    vault = await FakeVault.start({ unsealKeys: ["k1", "k2", "k3", "k4", "k5"], threshold: 3 });
    client = await vaultClientFor(vault);
  });
  afterAll(async () => {
    client.close();
    await vault.close();
  });

  test("seal, then unseal share by share, with progress t of n", async () => {
    expect((await vaultHealth(client)).status).toBe(200);
    await sealVault(client);
    expect(vault.sealed).toBe(true);
    expect(await vaultHealth(client)).toMatchObject({ status: 503, sealed: true });
    expect(await sealStatus(client)).toMatchObject({ sealed: true, t: 3, n: 5, progress: 0 });
    expect(await submitUnsealKey(client, "k1")).toMatchObject({ sealed: true, progress: 1 });
    expect(await submitUnsealKey(client, "k4")).toMatchObject({ sealed: true, progress: 2 });
    expect(await resetUnseal(client)).toMatchObject({ sealed: true, progress: 0 });
    await submitUnsealKey(client, "k1");
    await submitUnsealKey(client, "k2");
    expect(await submitUnsealKey(client, "k3")).toMatchObject({ sealed: false });
    expect(vault.sealed).toBe(false);
  });

  test("a sealed Vault answers other calls 503 'Vault is sealed'", async () => {
    await sealVault(client);
    await expect(
      client.request("PUT", vaultApiPath("sys/leases/revoke"), { body: { lease_id: "x" } }),
    ).rejects.toThrow(/is sealed/);
    vault.setSealed(false);
  });
});
