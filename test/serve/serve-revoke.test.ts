// POST /api/v1/revoke with --allow-revoke, over real HTTP, against the Vault-compatible fake
// server: the dry run lists the query's leases, a wrong expected count sends nothing (409), the
// right one revokes exactly the query's leases, each in its namespace, once, streaming each
// outcome; the journal makes a rerun skip them; the Vault token never appears in an answer.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/serve/start-server.js";
import { FakeVault } from "../helpers/fake-vault-server.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  auditLines,
  fillerCalls,
  indexLines,
  LEASE_CALLS,
  post,
  serveForTest,
} from "./serve-fixture.js";

const tempDir = tempDirs("bg-serve-revoke-");
const VAULT_TOKEN = "hvs.serve-revoke-root-token";
const ENV_KEYS = ["VAULT_ADDR", "VAULT_TOKEN", "VAULT_NAMESPACE", "HOME"] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
let vault: FakeVault;
let server: RunningServer;
let journal: string;

beforeAll(async () => {
  const db = tempDir();
  await indexLines(db, tempDir(), "audit.log", auditLines([...LEASE_CALLS, ...fillerCalls(20)]));
  vault = await FakeVault.start({ rootToken: VAULT_TOKEN });
  for (const c of LEASE_CALLS) vault.addLease(c.lease!, c.namespace ?? "");
  process.env.VAULT_ADDR = vault.addr;
  process.env.VAULT_TOKEN = VAULT_TOKEN;
  delete process.env.VAULT_NAMESPACE;
  process.env.HOME = tempDir(); // no ~/.vault-token of the developer's
  journal = path.join(tempDir(), "journal.ndjson");
  server = await serveForTest(db, { allowRevoke: true, journalFile: journal });
});

afterAll(async () => {
  await server?.close();
  await vault?.close();
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

const L = (n: string) => `database/creds/app/${n}`;

describe("POST /api/v1/revoke with --allow-revoke", () => {
  it("says so in GET /api/v1/server", async () => {
    const res = await fetch(new URL("/api/v1/server", server.url), {
      headers: { authorization: "Bearer serve-test-token-0123456789abcdef" },
    });
    expect(await res.json()).toMatchObject({ allowRevoke: true });
  });

  it("dry run: lists the query's leases with their namespaces, sends nothing", async () => {
    const res = await post(server, "/api/v1/revoke", { q: "ip = 10.0.0.5", dryRun: true });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(VAULT_TOKEN);
    const plan = JSON.parse(text) as {
      count: number;
      skipped: number;
      addr: string;
      plan: unknown[];
    };
    expect(plan).toMatchObject({ dryRun: true, count: 3, skipped: 0, addr: vault.addr });
    expect(plan.plan).toEqual([
      { action: "revoke", request: "PUT /v1/sys/leases/revoke", namespace: "", leaseId: L("L1") },
      { action: "revoke", request: "PUT /v1/sys/leases/revoke", namespace: "", leaseId: L("L2") },
      {
        action: "revoke",
        request: "PUT /v1/sys/leases/revoke",
        namespace: "team-a",
        leaseId: L("L3"),
      },
    ]);
    expect(vault.leaseCount()).toBe(5);
  });

  it("needs the expected count, and sends nothing when it is not the query's (409)", async () => {
    expect((await post(server, "/api/v1/revoke", { q: "ip = 10.0.0.5" })).status).toBe(400);
    const res = await post(server, "/api/v1/revoke", { q: "ip = 10.0.0.5", expectedCount: 2 });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /finds 3 leases/,
    );
    expect(vault.leaseCount()).toBe(5);
    expect(vault.revokeRequests(L("L1"))).toBe(0);
  });

  it("revokes exactly the query's leases, each in its namespace, once, streaming the outcomes", async () => {
    const res = await post(server, "/api/v1/revoke", {
      q: "ip = 10.0.0.5",
      expectedCount: 3,
      verify: true,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/x-ndjson/);
    const text = await res.text();
    expect(text).not.toContain(VAULT_TOKEN);
    const lines = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ start: { count: 3, skipped: 0, addr: vault.addr } });
    const outcomes = lines.filter((l) => "outcome" in l).map((l) => l.outcome);
    expect(outcomes).toHaveLength(3);
    expect(outcomes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ leaseId: L("L1"), namespace: "", outcome: "revoked" }),
        expect.objectContaining({ leaseId: L("L2"), namespace: "", outcome: "revoked" }),
        expect.objectContaining({ leaseId: L("L3"), namespace: "team-a", outcome: "revoked" }),
      ]),
    );
    expect(lines[lines.length - 1]).toMatchObject({
      summary: { revoked: 3, alreadyGone: 0, failed: 0, skipped: 0, total: 3, journal },
    });
    expect(vault.hasLease(L("L1"))).toBe(false);
    expect(vault.hasLease(L("L2"))).toBe(false);
    expect(vault.hasLease(L("L3"), "team-a")).toBe(false);
    expect(vault.hasLease(L("M1"))).toBe(true);
    expect(vault.hasLease(L("M2"))).toBe(true);
    expect(vault.leaseCount()).toBe(2);
    for (const n of ["L1", "L2"]) expect(vault.revokeRequests(L(n))).toBe(1);
    expect(vault.revokeRequests(L("L3"), "team-a")).toBe(1);
  });

  it("skips what the journal says is done on a rerun", async () => {
    const dry = (await (
      await post(server, "/api/v1/revoke", { q: "ip = 10.0.0.5", dryRun: true })
    ).json()) as {
      count: number;
      skipped: number;
    };
    expect(dry).toMatchObject({ count: 0, skipped: 3 });
    const res = await post(server, "/api/v1/revoke", { q: "ip = 10.0.0.5", expectedCount: 0 });
    const last = JSON.parse((await res.text()).trim().split("\n").pop()!) as Record<
      string,
      unknown
    >;
    expect(last).toMatchObject({ summary: { revoked: 0, skipped: 3 } });
    expect(vault.revokeRequests(L("L1"))).toBe(1);
  });

  it("a query error is a 400 before anything is planned", async () => {
    const res = await post(server, "/api/v1/revoke", { q: "ip = ", dryRun: true });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { kind: string } }).error.kind).toBe("query");
  });
});
