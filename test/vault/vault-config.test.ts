import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { UsageError } from "../../src/errors.js";
import { redactToken, resolveVaultConfig, VaultToken } from "../../src/vault/vault-config.js";
import { FakeVault } from "../helpers/fake-vault-server.js";
import { ensureBuilt, runBin } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";

const TOKEN = "hvs.CANARY-config-0123456789";
const tempDir = tempDirs("bg-vault-config-");

async function homeWithTokenFile(text: string): Promise<string> {
  const home = tempDir();
  await writeFile(path.join(home, ".vault-token"), text);
  return home;
}

describe("the token is trimmed like the Vault CLI trims it", () => {
  test.each([
    ["a trailing newline", `${TOKEN}\n`],
    ["a Windows line end", `${TOKEN}\r\n`],
    ["spaces and a tab around it", `  ${TOKEN}\t \n`],
  ])("~/.vault-token with %s", async (_, text) => {
    const c = await resolveVaultConfig({}, { homeDir: await homeWithTokenFile(text) });
    expect(c.token?.reveal()).toBe(TOKEN);
    expect(c.tokenSource).toBe("~/.vault-token");
  });

  test("VAULT_TOKEN with a trailing CR/LF", async () => {
    const c = await resolveVaultConfig(
      { VAULT_TOKEN: `${TOKEN}\r\n` },
      { homeDir: "/nonexistent" },
    );
    expect(c.token?.reveal()).toBe(TOKEN);
  });
});

describe("a token that still holds a control character is refused without being shown", () => {
  test.each([
    ["VAULT_TOKEN", { VAULT_TOKEN: "hvs.first\nsecond-part" }, undefined],
    ["VAULT_TOKEN", { VAULT_TOKEN: "hvs.first\rsecond-part" }, undefined],
    ["VAULT_TOKEN", { VAULT_TOKEN: "hvs.first\u0000second-part" }, undefined],
    ["~/.vault-token", {}, "hvs.first\r\nsecond-part\r\n"],
    ["~/.vault-token", {}, "hvs.first\u001b[2Jsecond-part"],
  ])("%s %j %j", async (source, env, file) => {
    const homeDir = file === undefined ? "/nonexistent" : await homeWithTokenFile(file);
    const err = await resolveVaultConfig(env, { homeDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    const e = err as UsageError;
    expect(e.message).toMatch(
      new RegExp(`^${source.replace(/[.~]/g, "\\$&")} contains a control character`),
    );
    expect(`${e.message} ${e.hint}`).not.toMatch(/first|second-part/);
  });
});

describe("redactToken", () => {
  test("scrubs the token as is and percent-encoded, whole or segment by segment", () => {
    const token = new VaultToken("s.a+b/c=d");
    const text = "s.a+b/c=d | s.a%2Bb%2Fc%3Dd | s.a%2Bb/c%3Dd";
    expect(redactToken(text, token)).toBe("[redacted] | [redacted] | [redacted]");
    expect(redactToken(text, undefined)).toBe(text);
  });
});

describe("through the bin", () => {
  const vaults: FakeVault[] = [];
  afterEach(async () => {
    for (const v of vaults.splice(0)) await v.close();
  });
  beforeAll(ensureBuilt, 120_000);

  test("~/.vault-token ending in CR/LF works; one with an embedded newline is exit 2, not 'check VAULT_ADDR'", async () => {
    const vault = await FakeVault.start({ rootToken: TOKEN });
    vaults.push(vault);
    vault.addLease("db/1");
    const journal = path.join(tempDir(), "journal.ndjson");
    const crlf = await homeWithTokenFile(`${TOKEN}\r\n`);
    const ok = await runBin(
      ["revoke", "--yes", "--journal", journal],
      { HOME: crlf, VAULT_ADDR: vault.addr },
      "db/1\n",
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(vault.hasLease("db/1")).toBe(false);

    vault.addLease("db/2");
    const calls = vault.totalCalls;
    const broken = await homeWithTokenFile(`hvs.CANARY-first\nCANARY-second\n`);
    const envs: Record<string, string>[] = [
      { HOME: broken, VAULT_ADDR: vault.addr },
      { HOME: crlf, VAULT_ADDR: vault.addr, VAULT_TOKEN: "hvs.CANARY-first\r\nCANARY-second" },
    ];
    for (const env of envs) {
      const r = await runBin(["revoke", "--yes", "--journal", journal], env, "db/2\n");
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^breakglass: (VAULT_TOKEN|~\/\.vault-token) contains a control character \(character 17 of \d+\)$/m,
      );
      expect(r.stderr).not.toMatch(/VAULT_ADDR|cannot reach/);
      expect(r.stdout + r.stderr).not.toContain("CANARY");
    }
    expect(vault.totalCalls).toBe(calls);
    expect(vault.hasLease("db/2")).toBe(true);
  });
});
