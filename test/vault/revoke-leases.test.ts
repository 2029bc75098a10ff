import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { RevokeJournal } from "../../src/vault/revoke-journal.js";
import {
  revokeLeases,
  RevokeStoppedError,
  type LeaseTarget,
  type RevokeOptions,
} from "../../src/vault/revoke-leases.js";
import { FakeVault, type FakeVaultOptions } from "../helpers/fake-vault-server.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { vaultClientFor } from "../helpers/vault-client-for.js";

const tempDir = tempDirs("bg-journal-");

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function setup(opts: FakeVaultOptions = {}, env: Record<string, string> = {}) {
  const vault = await FakeVault.start(opts);
  const client = await vaultClientFor(vault, { env, maxSockets: 16 });
  open.push(client, vault);
  return { vault, client };
}

const ids = (n: number, prefix = "database/creds/app/") =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(5, "0")}`);

const fast: Partial<RevokeOptions> = { baseDelayMs: 1, maxDelayMs: 20 };

describe("revokeLeases", () => {
  test("with 20% of calls failing transiently, every lease ends revoked exactly once", async () => {
    const { vault, client } = await setup({ faults: { rate: 0.2, seed: 7 } });
    const leases = ids(1000);
    for (const id of leases) vault.addLease(id);
    const summary = await revokeLeases(
      leases.map((leaseId) => ({ leaseId })),
      { client, ...fast },
    );
    expect(vault.faultsInjected).toBeGreaterThan(150);
    expect(summary).toMatchObject({ revoked: 1000, failed: 0, alreadyGone: 0, skipped: 0 });
    expect(vault.leaseCount()).toBe(0);
    for (const id of leases) expect(vault.revokeRequests(id)).toBe(1);
  });

  test("connections destroyed mid-run (ECONNRESET) are retried", async () => {
    const { vault, client } = await setup({ faults: { rate: 0.3, kinds: ["destroy"], seed: 3 } });
    const leases = ids(200);
    for (const id of leases) vault.addLease(id);
    const summary = await revokeLeases(
      leases.map((leaseId) => ({ leaseId })),
      { client, ...fast },
    );
    expect(summary.revoked).toBe(200);
    expect(vault.leaseCount()).toBe(0);
  });

  test("without verify, an unknown lease counts as revoked (Vault answers 204 either way)", async () => {
    const { client } = await setup();
    const summary = await revokeLeases([{ leaseId: "never/existed" }], { client });
    expect(summary.revoked).toBe(1);
  });

  test("verify tells revoked from already gone, and fails a lease that stays live", async () => {
    const { vault, client } = await setup();
    vault.addLease("live/1");
    vault.addLease("sticky/1", "", { sticky: true });
    const summary = await revokeLeases(
      [{ leaseId: "live/1" }, { leaseId: "gone/1" }, { leaseId: "sticky/1" }],
      { client, verify: true },
    );
    expect(summary).toMatchObject({ revoked: 1, alreadyGone: 1, failed: 1 });
    expect(summary.failures[0]).toMatchObject({
      leaseId: "sticky/1",
      reason: "still live after revoke (lookup found it)",
    });
    expect(vault.lookupRequests("live/1")).toBe(2);
    expect(vault.lookupRequests("gone/1")).toBe(1);
    expect(vault.revokeRequests("gone/1")).toBe(0);
  });

  test("verify in the wrong namespace sees the lease as already gone; in the right one, revoked", async () => {
    const { vault, client } = await setup();
    vault.addLease("db/1", "team-a");
    const s1 = await revokeLeases([{ leaseId: "db/1", namespace: "team-a" }], {
      client,
      verify: true,
      namespace: "team-b",
    });
    expect(s1.alreadyGone).toBe(1);
    expect(vault.hasLease("db/1", "team-a")).toBe(true);
    const s2 = await revokeLeases([{ leaseId: "db/1", namespace: "team-a" }], {
      client,
      verify: true,
    });
    expect(s2.revoked).toBe(1);
    expect(vault.hasLease("db/1", "team-a")).toBe(false);
  });

  test("each lease is revoked in the namespace its audit entry recorded", async () => {
    const { vault, client } = await setup();
    vault.addLease("a/1", "team-a");
    vault.addLease("b/1", "team-b/sub");
    vault.addLease("r/1");
    const targets: LeaseTarget[] = [
      { leaseId: "a/1", namespace: "team-a/" },
      { leaseId: "b/1", namespace: "team-b/sub/" },
      { leaseId: "r/1", namespace: "" },
    ];
    const s = await revokeLeases(targets, { client });
    expect(s.revoked).toBe(3);
    expect(vault.leaseCount()).toBe(0);
    expect(vault.revokeNamespaces.sort()).toEqual(["", "team-a", "team-b/sub"]);
  });

  test("VAULT_NAMESPACE overrides the recorded namespace", async () => {
    const { vault, client } = await setup({}, { VAULT_NAMESPACE: "forced" });
    vault.addLease("x/1", "forced");
    vault.addLease("x/2", "team-a");
    await revokeLeases(
      [
        { leaseId: "x/1", namespace: "team-a" },
        { leaseId: "x/2", namespace: "team-a" },
      ],
      {
        client,
      },
    );
    expect(vault.hasLease("x/1", "forced")).toBe(false);
    // Like Vault: a revoke sent to the wrong namespace answers 204 and does nothing.
    expect(vault.hasLease("x/2", "team-a")).toBe(true);
    expect(new Set(vault.revokeNamespaces)).toEqual(new Set(["forced"]));
  });

  test("permission denied fails that lease without retrying it", async () => {
    const { vault } = await setup({ tokens: { limited: { deny: ["sys/leases/revoke"] } } });
    const limited = await vaultClientFor(vault, { token: "limited" });
    open.push(limited);
    const s = await revokeLeases([{ leaseId: "a" }, { leaseId: "b" }], {
      client: limited,
      ...fast,
    });
    expect(s.failed).toBe(2);
    expect(s.failures[0]?.reason).toMatch(/permission denied/);
    expect(s.failures[0]?.attempts).toBe(1);
  });

  test("when every call is denied, it stops early with a clear message", async () => {
    const { vault } = await setup();
    const client = await vaultClientFor(vault, { token: "wrong-token" });
    open.push(client);
    const err = await revokeLeases(
      ids(500).map((leaseId) => ({ leaseId })),
      { client, concurrency: 4 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RevokeStoppedError);
    const e = err as RevokeStoppedError;
    expect(e.message).toMatch(/permission denied: Vault refused all \d+ calls so far; stopped/);
    expect(e.summary.failed).toBeLessThan(40);
    expect(e.exitCode).toBe(4);
  });

  test("a sealed Vault stops everything with exit 4 and 'sealed'", async () => {
    const { vault, client } = await setup({ faults: { latencyMs: 2 } });
    const leases = ids(300);
    for (const id of leases) vault.addLease(id);
    let n = 0;
    const err = await revokeLeases(
      leases.map((leaseId) => ({ leaseId })),
      {
        client,
        onOutcome: () => {
          if (++n === 50) vault.setSealed(true);
        },
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RevokeStoppedError);
    const e = err as RevokeStoppedError;
    expect(e.message).toMatch(/is sealed/);
    expect(e.exitCode).toBe(4);
    expect(e.summary.revoked).toBeGreaterThanOrEqual(50);
    expect(e.summary.revoked).toBeLessThan(70);
    expect(e.summary.failed).toBe(0);
  });

  test("an unreachable Vault stops with 'cannot reach'", async () => {
    const { vault, client } = await setup();
    await vault.close();
    const err = await revokeLeases([{ leaseId: "a" }], { client, ...fast, maxAttempts: 3 }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(/cannot reach Vault at http:\/\/127\.0\.0\.1:\d+/);
  });

  test("prefix, force and accessor modes call their endpoints", async () => {
    const { vault, client } = await setup();
    for (const id of ids(5, "aws/creds/deploy/")) vault.addLease(id);
    for (const id of ids(3, "db/creds/x/")) vault.addLease(id);
    vault.addAccessor("acc-1");
    await revokeLeases([{ leaseId: "aws/creds/deploy/" }], { client, mode: "prefix" });
    expect(vault.leaseCount()).toBe(3);
    await revokeLeases([{ leaseId: "db/creds/" }], { client, mode: "force" });
    expect(vault.leaseCount()).toBe(0);
    expect(vault.callsByPath.get("sys/leases/revoke-force/db/creds/")).toBe(1);
    const s = await revokeLeases([{ leaseId: "acc-1" }], { client, mode: "accessor" });
    expect(s.revoked).toBe(1);
    expect(vault.hasAccessor("acc-1")).toBe(false);
  });

  test("the journal records every outcome and a rerun skips what is done", async () => {
    const { vault, client } = await setup();
    const dir = tempDir();
    const file = path.join(dir, "j.ndjson");
    const leases = ids(20);
    for (const id of leases) vault.addLease(id);
    const j1 = await RevokeJournal.open(file);
    const s1 = await revokeLeases(
      leases.slice(0, 10).map((leaseId) => ({ leaseId })),
      {
        client,
        journal: j1,
      },
    );
    await j1.close();
    expect(s1.revoked).toBe(10);
    const lines = (await readFile(file, "utf8")).trim().split("\n");
    expect(lines).toHaveLength(10);
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ mode: "revoke", outcome: "revoked" });

    const j2 = await RevokeJournal.open(file);
    const s2 = await revokeLeases(
      leases.map((leaseId) => ({ leaseId })),
      { client, journal: j2 },
    );
    await j2.close();
    expect(s2).toMatchObject({ revoked: 10, skipped: 10, total: 20 });
    for (const id of leases) expect(vault.revokeRequests(id)).toBe(1);
  });

  test("a lease listed twice is sent once", async () => {
    const { vault, client } = await setup();
    vault.addLease("dup/1");
    const s = await revokeLeases([{ leaseId: "dup/1" }, { leaseId: "dup/1" }], { client });
    expect(s).toMatchObject({ revoked: 1, duplicates: 1 });
    expect(vault.revokeRequests("dup/1")).toBe(1);
  });

  test("accepts an async iterable of targets", async () => {
    const { vault, client } = await setup();
    async function* gen() {
      for (const id of ids(30)) {
        vault.addLease(id);
        yield { leaseId: id };
      }
    }
    const s = await revokeLeases(gen(), { client, concurrency: 3 });
    expect(s.revoked).toBe(30);
  });
});

describe("revokeLeases never lets a prefix or namespace leave its endpoint", () => {
  /** Leases under database/ and elsewhere, so a stray revoke-prefix shows in the counts. */
  async function loaded() {
    const { vault, client } = await setup();
    for (const id of ids(20)) vault.addLease(id);
    for (const id of ids(5, "aws/creds/ops/")) vault.addLease(id);
    vault.addLease("database/creds/app/in-ns", "team-a");
    return { vault, client };
  }

  test.each([
    ["nothing-here/../database/"],
    ["../../../sys/seal"],
    ["%2e%2e/%2e%2e/%2e%2e/sys/seal"],
    [".%2e/.%2e/.%2e/sys/seal"],
    ["..\\..\\..\\sys\\seal"],
    ["aws//creds"],
    [""],
    ["x?/../../../sys/seal"],
    ["x#/../../../sys/seal"],
    ["．．/．．/．．/sys/seal"],
    ["database\r\n"],
  ])("prefix %j is refused before it is sent (prefix and force)", async (hostile) => {
    for (const mode of ["prefix", "force"] as const) {
      const { vault, client } = await loaded();
      const run = revokeLeases([{ leaseId: "aws/creds/ops/" }, { leaseId: hostile }], {
        client,
        mode,
      });
      await expect(run).rejects.toMatchObject({ exitCode: 2 });
      await expect(run).rejects.toThrow(/lease prefix .* refused so that the request cannot leave/);
      // At the HTTP level: the one good prefix went to its endpoint; nothing else was called.
      const endpoint = mode === "prefix" ? "revoke-prefix" : "revoke-force";
      expect([...vault.callsByPath.keys()]).toEqual([`sys/leases/${endpoint}/aws/creds/ops/`]);
      expect(vault.sealed).toBe(false);
      expect(vault.leaseCount()).toBe(21);
    }
  });

  test("a namespace recorded with '..' or a CR/LF is refused; nothing is sent", async () => {
    for (const namespace of ["../sys", "team-a/../..", "team-a\r\nX-Vault-Token: x"]) {
      const { vault, client } = await loaded();
      const run = revokeLeases([{ leaseId: "database/creds/app/in-ns", namespace }], { client });
      await expect(run).rejects.toThrow(/namespace of "database\/creds\/app\/in-ns" /);
      expect(vault.totalCalls).toBe(0);
      expect(vault.hasLease("database/creds/app/in-ns", "team-a")).toBe(true);
    }
  });
});
