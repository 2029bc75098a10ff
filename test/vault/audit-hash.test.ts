import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { auditHmac } from "../../src/audit/audit-hmac.js";
import { resolveAuditHash, resolveAuditHashes } from "../../src/vault/audit-hash.js";
import type { VaultClient } from "../../src/vault/vault-client.js";
import { FakeVault } from "../helpers/fake-vault-server.js";
import { vaultClientFor } from "../helpers/vault-client-for.js";

describe("resolveAuditHash", () => {
  let vault: FakeVault;
  let client: VaultClient;
  beforeAll(async () => {
    vault = await FakeVault.start({ salt: "s3cr3t-salt", auditDevices: ["file", "syslog"] });
    client = await vaultClientFor(vault);
  });
  afterAll(async () => {
    client.close();
    await vault.close();
  });

  test("locally with the salt and via sys/audit-hash give the same HMAC", async () => {
    const plaintext = "74fba557-0b8b-4b2c-a4f0-9f5b3c5c0d1e";
    const local = await resolveAuditHash(plaintext, { salt: "s3cr3t-salt" });
    const remote = await resolveAuditHash(plaintext, { client });
    expect(local).toBe(auditHmac("s3cr3t-salt", plaintext));
    expect(remote).toBe(local);
    expect(vault.callsByPath.get("sys/audit-hash/file")).toBe(1);
  });

  test("the device can be chosen, and an unknown device is Vault's error", async () => {
    expect(await resolveAuditHash("x", { client, device: "syslog" })).toBe(
      auditHmac("s3cr3t-salt", "x"),
    );
    await expect(resolveAuditHash("x", { client, device: "nope" })).rejects.toThrow(
      /rejected POST sys\/audit-hash\/nope \(400: unknown audit backend nope\)/,
    );
  });

  test("a batch keeps its order", async () => {
    const values = Array.from({ length: 50 }, (_, i) => `value-${i}`);
    const hashes = await resolveAuditHashes(values, { client });
    expect(hashes).toEqual(values.map((v) => auditHmac("s3cr3t-salt", v)));
  });

  test("$BREAKGLASS_AUDIT_SALT is used when no salt is passed", async () => {
    process.env.BREAKGLASS_AUDIT_SALT = "env-salt";
    try {
      expect(await resolveAuditHash("y", { client })).toBe(auditHmac("env-salt", "y"));
    } finally {
      delete process.env.BREAKGLASS_AUDIT_SALT;
    }
  });
});
