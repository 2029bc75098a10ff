// Vault over HTTPS, as the Vault CLI reaches it: VAULT_CACERT trusts the CA that signed Vault's
// certificate, VAULT_SKIP_VERIFY skips the check, and neither means a clear TLS error (exit 4),
// never a silent success. The certificate is made by openssl in a temp dir for this test.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FakeVault } from "../helpers/fake-vault-server.js";
import { ensureBuilt, runBin } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";

const TOKEN = "hvs.tls-test-token-never-print";
const tempDir = tempDirs("bg-tls-");
let vault: FakeVault;
let caFile: string;
let dir: string;

function haveOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
// .ci/run installs openssl where it is missing; elsewhere say so rather than fail obscurely.
const canRun = haveOpenssl();
if (!canRun) console.warn("NOTICE: openssl not found: the Vault-over-HTTPS tests are skipped");

beforeAll(async () => {
  if (!canRun) return;
  await ensureBuilt();
  dir = tempDir();
  const key = path.join(dir, "key.pem");
  caFile = path.join(dir, "cert.pem");
  // A self-signed certificate for 127.0.0.1 (it is its own CA).
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-keyout",
      key,
      "-out",
      caFile,
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  vault = await FakeVault.start({
    rootToken: TOKEN,
    tls: { key: readFileSync(key, "utf8"), cert: readFileSync(caFile, "utf8") },
  });
  vault.addLease("database/creds/app/tls-1");
  vault.addLease("database/creds/app/tls-2");
}, 60_000);
afterAll(async () => {
  await vault?.close();
});

describe.runIf(canRun)("Vault over HTTPS", () => {
  test("the address is https", () => {
    expect(vault.addr).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  test("VAULT_CACERT trusts Vault's certificate: the lease is revoked", async () => {
    const env = { HOME: dir, VAULT_ADDR: vault.addr, VAULT_TOKEN: TOKEN, VAULT_CACERT: caFile };
    const r = await runBin(
      ["revoke", "--yes", "--journal", path.join(dir, "j1.ndjson")],
      env,
      "database/creds/app/tls-1\n",
    );
    expect(r.stderr).not.toContain(TOKEN);
    expect(r.code).toBe(0);
    expect(vault.revocations("database/creds/app/tls-1")).toBe(1);
  });

  test("VAULT_SKIP_VERIFY=1 skips the check", async () => {
    const env = { HOME: dir, VAULT_ADDR: vault.addr, VAULT_TOKEN: TOKEN, VAULT_SKIP_VERIFY: "1" };
    const r = await runBin(
      ["revoke", "--yes", "--journal", path.join(dir, "j2.ndjson")],
      env,
      "database/creds/app/tls-2\n",
    );
    expect(r.code).toBe(0);
    expect(vault.revocations("database/creds/app/tls-2")).toBe(1);
  });

  test("without either, the untrusted certificate is a clear error (exit 4) and nothing is revoked", async () => {
    vault.addLease("database/creds/app/tls-3");
    const env = { HOME: dir, VAULT_ADDR: vault.addr, VAULT_TOKEN: TOKEN };
    const r = await runBin(
      ["revoke", "--yes", "--journal", path.join(dir, "j3.ndjson")],
      env,
      "database/creds/app/tls-3\n",
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/certificate|TLS/i);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(vault.revocations("database/creds/app/tls-3")).toBe(0);
  });
});
