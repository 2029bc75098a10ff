import { writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { VaultError } from "../../src/errors.js";
import { VaultClient, VaultRequestError } from "../../src/vault/vault-client.js";
import { resolveVaultConfig, VaultToken } from "../../src/vault/vault-config.js";
import { vaultApiPath } from "../../src/vault/vault-api-path.js";
import { FakeVault } from "../helpers/fake-vault-server.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-home-");

const TOKEN = "hvs.SECRET-token-that-must-never-show";

async function clientFor(addr: string, env: Record<string, string> = {}, debug?: string[]) {
  const config = await resolveVaultConfig(
    { VAULT_ADDR: addr, VAULT_TOKEN: TOKEN, VAULT_CLIENT_TIMEOUT: "2s", ...env },
    { homeDir: "/nonexistent" },
  );
  return new VaultClient(config, debug ? { debug: (l) => void debug.push(l) } : {});
}

/** A server that answers every request with one status and body, echoing the token back. */
async function cannedServer(status: number, body: unknown, headers: Record<string, string> = {}) {
  const server = http.createServer((req, res) => {
    const echoed = JSON.stringify(body).replace("$TOKEN", String(req.headers["x-vault-token"]));
    res.writeHead(status, { "Content-Type": "application/json", ...headers }).end(echoed);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { addr, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("resolveVaultConfig reads the environment like the Vault CLI", () => {
  test("defaults to https://127.0.0.1:8200 and no token", async () => {
    const c = await resolveVaultConfig({}, { homeDir: "/nonexistent" });
    expect(c.addr).toBe("https://127.0.0.1:8200");
    expect(c.token).toBeUndefined();
    expect(c.skipVerify).toBe(false);
  });

  test("falls back to ~/.vault-token when VAULT_TOKEN is unset", async () => {
    const home = tempDir();
    await writeFile(path.join(home, ".vault-token"), `${TOKEN}\n`);
    const c = await resolveVaultConfig({ VAULT_ADDR: "http://v:8200/" }, { homeDir: home });
    expect(c.addr).toBe("http://v:8200");
    expect(c.token?.reveal()).toBe(TOKEN);
    expect(c.tokenSource).toBe("~/.vault-token");
  });

  test("--namespace wins over VAULT_NAMESPACE; VAULT_SKIP_VERIFY parses like Go", async () => {
    const env = { VAULT_NAMESPACE: "env-ns", VAULT_SKIP_VERIFY: "true" };
    const c = await resolveVaultConfig(env, { namespace: "flag-ns", homeDir: "/nonexistent" });
    expect(c.namespace).toBe("flag-ns");
    expect(c.skipVerify).toBe(true);
  });

  test("the token prints as [redacted] under String, JSON and inspect", async () => {
    const c = await resolveVaultConfig({ VAULT_TOKEN: TOKEN }, { homeDir: "/nonexistent" });
    const { inspect } = await import("node:util");
    expect(JSON.stringify(c)).not.toContain(TOKEN);
    expect(inspect(c, { depth: 5 })).not.toContain(TOKEN);
    expect(`${String(c.token)}`).toBe("[redacted]");
    expect(new VaultToken("x").reveal()).toBe("x");
  });
});

describe("VaultClient turns Vault's answers into clear errors", () => {
  test.each([
    [403, { errors: ["permission denied"] }, "denied", /permission denied/, false],
    [503, { errors: ["Vault is sealed"] }, "sealed", /is sealed/, false],
    [503, { errors: ["local node not active"] }, "unavailable", /unavailable \(503/, true],
    [429, { errors: ["rate limit quota exceeded"] }, "rate_limited", /rate limited/, true],
    [404, { errors: [] }, "not_found", /not found/, false],
    [
      500,
      { errors: ["internal error"] },
      "server",
      /Vault failed .* \(500: internal error\)/,
      true,
    ],
    [400, { errors: ["missing lease ID"] }, "bad_request", /rejected .*missing lease ID/, false],
  ])("%i %j → %s", async (status, body, kind, message, retryable) => {
    const server = await cannedServer(status, body);
    const client = await clientFor(server.addr);
    try {
      const err = await client
        .request("PUT", vaultApiPath("sys/leases/revoke"))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VaultRequestError);
      expect(err).toBeInstanceOf(VaultError);
      const e = err as VaultRequestError;
      expect(e.kind).toBe(kind);
      expect(e.message).toMatch(message);
      expect(e.retryable).toBe(retryable);
      expect(e.exitCode).toBe(4);
    } finally {
      client.close();
      await server.close();
    }
  });

  test("a refused connection says it cannot reach Vault at the address", async () => {
    const server = await cannedServer(200, {});
    const addr = server.addr;
    await server.close();
    const client = await clientFor(addr);
    const err = (await client
      .request("GET", vaultApiPath("sys/health"))
      .catch((e: unknown) => e)) as VaultRequestError;
    expect(err.kind).toBe("unreachable");
    expect(err.message).toBe(`cannot reach Vault at ${addr} (ECONNREFUSED)`);
    expect(err.retryable).toBe(true);
    client.close();
  });

  test("a server that does not answer in time is a timeout", async () => {
    const server = http.createServer(() => {});
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const addr = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = await clientFor(addr, { VAULT_CLIENT_TIMEOUT: "200ms" });
    const err = (await client
      .request("GET", vaultApiPath("sys/health"))
      .catch((e: unknown) => e)) as VaultRequestError;
    expect(err.kind).toBe("timeout");
    expect(err.message).toMatch(/did not answer GET sys\/health within 0.2 s/);
    client.close();
    server.closeAllConnections();
    server.close();
  });

  test("the token never appears in an error message, even when the server echoes it", async () => {
    const server = await cannedServer(400, { errors: ["bad token $TOKEN here"] });
    const lines: string[] = [];
    const client = await clientFor(server.addr, {}, lines);
    const err = (await client
      .request("PUT", vaultApiPath("x"))
      .catch((e: unknown) => e)) as VaultRequestError;
    expect(err.message).toContain("bad token [redacted] here");
    expect(err.message).not.toContain(TOKEN);
    expect(JSON.stringify(err.errors)).not.toContain(TOKEN);
    expect(lines.join("\n")).not.toContain(TOKEN);
    client.close();
    await server.close();
  });

  test("debug lines show X-Vault-Token as [redacted] and the namespace as sent", async () => {
    const vault = await FakeVault.start({ rootToken: TOKEN });
    const lines: string[] = [];
    const client = await clientFor(vault.addr, {}, lines);
    vault.addLease("db/creds/r/1", "team-a");
    await client.request("PUT", vaultApiPath("sys/leases/revoke"), {
      body: { lease_id: "db/creds/r/1" },
      namespace: "team-a/",
    });
    expect(vault.hasLease("db/creds/r/1", "team-a")).toBe(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("X-Vault-Token: [redacted]");
    expect(lines[0]).toContain("X-Vault-Namespace: team-a");
    expect(lines[0]).toContain("→ 204");
    expect(lines.join("\n")).not.toContain(TOKEN);
    client.close();
    await vault.close();
  });
});

describe("requests reuse keep-alive connections", () => {
  let vault: FakeVault;
  beforeAll(async () => {
    vault = await FakeVault.start({ rootToken: TOKEN });
  });
  afterAll(() => vault.close());

  test("a hundred sequential calls open one connection", async () => {
    const client = await clientFor(vault.addr);
    const before = vault.connections;
    for (let i = 0; i < 100; i++) await client.request("GET", vaultApiPath("sys/seal-status"));
    expect(vault.connections - before).toBe(1);
    client.close();
  });
});
