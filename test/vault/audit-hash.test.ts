import { chmod, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { auditHmac } from "../../src/audit/audit-hmac.js";
import { resolveAuditHash, resolveAuditHashes } from "../../src/vault/audit-hash.js";
import type { VaultClient } from "../../src/vault/vault-client.js";
import { FakeVault } from "../helpers/fake-vault-server.js";
import { ensureBuilt, runBin } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { vaultClientFor } from "../helpers/vault-client-for.js";

const tempDir = tempDirs("bg-audit-hash-");

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

  test.each([
    ["../../seal"],
    ["file/../../seal"],
    ["%2e%2e/%2e%2e/seal"],
    ["file?x"],
    ["a//b"],
    ["/"],
  ])("device %j is refused (exit 2) and nothing is sent", async (device) => {
    const before = vault.totalCalls;
    const err = await resolveAuditHash("x", { client, device }).catch((e: unknown) => e);
    expect(err).toMatchObject({ exitCode: 2 });
    expect((err as Error).message).toMatch(
      /^audit device ".*" .*refused so that the request cannot leave sys\/audit-hash\/$/,
    );
    expect(vault.totalCalls).toBe(before);
    expect(vault.sealed).toBe(false);
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

describe("--salt-file keeps the salt out of argv (hash, query, shell through the bin)", () => {
  const SALT = "file-salt";
  let dir: string;
  let db: string;
  beforeAll(async () => {
    await ensureBuilt();
    dir = tempDir();
    db = path.join(dir, "db");
    const entry = (id: string, lease: string, password: string) => ({
      time: "2024-05-01T10:00:00Z",
      type: "response",
      request: { id, operation: "read", path: "database/creds/app", remote_address: "10.0.0.1" },
      response: {
        secret: { lease_id: lease },
        data: { password: auditHmac(SALT, password) },
      },
    });
    const log = path.join(dir, "audit.log");
    const entries = [
      entry("r1", "database/creds/app/L1", "pw-1"),
      entry("r2", "database/creds/app/L2", "pw-2"),
    ];
    await writeFile(log, entries.map((e) => JSON.stringify(e)).join("\n") + "\n");
    const r = await runBin(["index", log, "--db", db], { HOME: dir });
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);

  async function saltFile(text: string): Promise<string> {
    const file = path.join(tempDir(), "salt");
    await writeFile(file, text, { mode: 0o600 });
    return file;
  }

  test("hash: the file's text less one trailing newline is the salt", async () => {
    for (const [text, salt] of [
      [`${SALT}\n`, SALT],
      [`${SALT}\r\n`, SALT],
      [SALT, SALT],
      [`${SALT}\n\n`, `${SALT}\n`],
    ] as const) {
      const r = await runBin(["hash", "--salt-file", await saltFile(text), "pw-1"], { HOME: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${auditHmac(salt, "pw-1")}\n`);
    }
  });

  test("query and shell find the lease by hash() with the salt from the file", async () => {
    const file = await saltFile(`${SALT}\n`);
    const query = await runBin(
      ["query", "--db", db, "--salt-file", file, 'hmac = hash("pw-2") | leases'],
      { HOME: dir },
    );
    expect(query.code, query.stderr).toBe(0);
    expect(query.stdout).toBe("database/creds/app/L2\n");
    const shell = await runBin(
      ["shell", "--db", db, "--salt-file", file],
      { HOME: dir },
      'hmac = hash("pw-1") | leases\n',
    );
    expect(shell.code, shell.stderr).toBe(0);
    expect(shell.stdout).toBe("database/creds/app/L1\n");
  });

  test("an unreadable or empty file is exit 3 naming the path; with --salt too, exit 2", async () => {
    const missing = path.join(dir, "no-such-salt");
    const unreadable = await saltFile(SALT);
    await chmod(unreadable, 0o000);
    const empty = await saltFile("\n");
    const cases: [string[], number, string][] = [
      [["hash", "--salt-file", missing, "x"], 3, `cannot read the salt file ${missing} (ENOENT)`],
      [["query", "--db", db, "--salt-file", missing, 'hmac = hash("x")'], 3, missing],
      [["shell", "--db", db, "--salt-file", missing], 3, missing],
      [["hash", "--salt-file", dir, "x"], 3, `cannot read the salt file ${dir} (EISDIR)`],
      [["hash", "--salt-file", empty, "x"], 3, `the salt file ${empty} is empty`],
      [["hash", "--salt-file", empty, "--salt", "s", "x"], 2, "--salt and --salt-file"],
    ];
    // root reads a 0000 file anyway; only check it when the permission bites.
    if (process.getuid?.() !== 0)
      cases.push([["hash", "--salt-file", unreadable, "x"], 3, "(EACCES)"]);
    for (const [args, code, message] of cases) {
      const r = await runBin(args, { HOME: dir });
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toContain(message);
      expect(r.stdout).toBe("");
    }
  });

  test("--help says that --salt shows in ps and names the safer ways", async () => {
    for (const command of ["hash", "query", "shell"]) {
      const r = await runBin([command, "--help"], { HOME: dir });
      expect(r.stdout.replace(/\s+/g, " ")).toMatch(
        /shows in ps and shell history: the variable or --salt-file is safer/,
      );
      expect(r.stdout).toContain("--salt-file <file>");
    }
  });
});
