// SPEC.md's five incident scenarios, end to end, as an operator runs them at 3 a.m.: a generated
// audit log (~3 MB, fixed seed, planted incidents) is indexed with the built bin, queried, and the
// lease ids are piped into `breakglass revoke` against the fake Vault, which must have revoked
// exactly the expected leases, each once, in the right namespace, and nothing else.
// Every expected answer comes from the oracle below: a plain readline + JSON.parse scan of the
// log, written from SPEC.md's field table and nothing in src/ (the generator's planted facts are
// only a cross-check that the oracle and the story agree).
// Cost: one generated log and one index shared by the file; each bin run is ~0.3 s.
import { createHmac } from "node:crypto";
import { createReadStream } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { writeAuditLog, type PlantedIncidents } from "../../src/demo/generate-log.js";
import { FakeVault, type FakeVaultOptions } from "../helpers/fake-vault-server.js";
import { ensureBuilt, runBin, runPipeline, type BinResult } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { CLICKHOUSE_TEST_PASSWORD, hasClickhouse } from "../helpers/clickhouse-cluster.js";
import { freshClickhouseUrl, stopSharedCluster } from "../helpers/clickhouse-backend-for.js";

const SEED = 20261120;
const SALT = "e2e-incident-salt";
const LOG_BYTES = 3_000_000;
const TOKEN = "hvs.e2e-incident-root-token";
const CHILD_NAMESPACE = "team-a";
const tempDir = tempDirs("bg-e2e-incident-");

// ---------------------------------------------------------------------------------------------
// The oracle: the log as plain objects, and SPEC.md's fields read by hand.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Entry {
  lineNo: number;
  value: JsonObject;
}

async function readEntries(file: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === "") continue;
    entries.push({ lineNo, value: JSON.parse(line) as JsonObject });
  }
  return entries;
}

function at(value: Json | undefined, ...keys: string[]): Json | undefined {
  let v = value;
  for (const key of keys) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
    v = v[key];
  }
  return v;
}

function str(value: Json | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** `10.0.0.5:5696` → `10.0.0.5`, `[2001:db8::1]:443` → `2001:db8::1`, a bare IPv6 unchanged. */
function stripPort(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1] as string;
  const v4 = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(address);
  return v4 ? (v4[1] as string) : address;
}

/**
 * `ip`: request.remote_address (port stripped), then the right-most audited X-Forwarded-For
 * entry (the one the balancer appended), when it is an address.
 */
function ipsOf(e: Entry): string[] {
  const ips: string[] = [];
  const remote = str(at(e.value, "request", "remote_address"));
  if (remote) ips.push(stripPort(remote));
  const xff = at(e.value, "request", "headers", "x-forwarded-for");
  const parts: string[] = [];
  for (const v of Array.isArray(xff) ? xff : xff === undefined ? [] : [xff]) {
    if (typeof v !== "string") continue;
    for (const part of v.split(",")) if (part.trim()) parts.push(stripPort(part.trim()));
  }
  const last = parts[parts.length - 1];
  if (last !== undefined && /^[\d.]+$|:/.test(last)) ips.push(last);
  return ips;
}

function ipv4Number(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return undefined;
  return m.slice(1).reduce((n, octet) => n * 256 + Number(octet), 0);
}

function inCidr4(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const a = ipv4Number(ip);
  const b = ipv4Number(base ?? "");
  if (a === undefined || b === undefined) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(a / size) === Math.floor(b / size);
}

function tokensOf(e: Entry): string[] {
  const t = [str(at(e.value, "auth", "client_token")), str(at(e.value, "request", "client_token"))];
  return t.filter((x): x is string => x !== undefined);
}

function rolesOf(e: Entry): string[] {
  const r = [
    str(at(e.value, "auth", "metadata", "role_name")),
    str(at(e.value, "response", "auth", "metadata", "role_name")),
    str(at(e.value, "auth", "metadata", "role")),
    str(at(e.value, "response", "auth", "metadata", "role")),
  ];
  return r.filter((x): x is string => x !== undefined);
}

/** Every `hmac-sha256:` string anywhere in the entry. */
function hmacsOf(value: Json, out: string[] = []): string[] {
  if (typeof value === "string") {
    if (value.startsWith("hmac-sha256:")) out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) hmacsOf(v, out);
  } else if (value !== null && typeof value === "object") {
    for (const v of Object.values(value)) hmacsOf(v, out);
  }
  return out;
}

function pathOf(e: Entry): string | undefined {
  return str(at(e.value, "request", "path"));
}

/** request.namespace.path, "" for root (also when the entry records no namespace). */
function namespaceOf(e: Entry): string {
  return (str(at(e.value, "request", "namespace", "path")) ?? "").replace(/^\/+|\/+$/g, "");
}

interface OracleLease {
  leaseId: string;
  namespace: string;
}

/** `| leases`: distinct response.secret.lease_id in order of first appearance, each with the
 * namespace of the first matching entry that carries it. */
function leasesOf(entries: readonly Entry[]): OracleLease[] {
  const seen = new Map<string, OracleLease>();
  for (const e of entries) {
    const leaseId = str(at(e.value, "response", "secret", "lease_id"));
    if (leaseId && !seen.has(leaseId)) seen.set(leaseId, { leaseId, namespace: namespaceOf(e) });
  }
  return [...seen.values()];
}

/** The audit HMAC, computed here from its definition (SPEC.md), not with src/audit. */
function hmacOf(plaintext: string): string {
  return "hmac-sha256:" + createHmac("sha256", SALT).update(plaintext).digest("hex");
}

// ---------------------------------------------------------------------------------------------
// Fixture: one log and one index for the file; a fresh fake Vault per test.

let logFile = "";
let db = "";
let planted: PlantedIncidents;
let entries: Entry[] = [];
let allLeases: OracleLease[] = [];

beforeAll(async () => {
  await ensureBuilt();
  const dir = tempDir();
  logFile = path.join(dir, "vault-audit.log");
  db = path.join(dir, "index");
  const generated = await writeAuditLog(logFile, {
    seed: SEED,
    targetBytes: LOG_BYTES,
    salt: SALT,
  });
  if (!generated.planted) throw new Error("the generator planted no incidents");
  planted = generated.planted;
  entries = await readEntries(logFile);
  allLeases = leasesOf(entries);
  const r = await runBin(["index", "--db", db, logFile], { HOME: dir });
  if (r.code !== 0) throw new Error(`index failed (exit ${r.code}): ${r.stderr}`);
}, 120_000);

const vaults: FakeVault[] = [];
afterEach(async () => {
  for (const v of vaults.splice(0)) await v.close();
});

/** A fake Vault (its audit salt is the log's) and the environment that points the bin at it. */
async function vaultFixture(opts: FakeVaultOptions = {}) {
  const vault = await FakeVault.start({ rootToken: TOKEN, salt: SALT, ...opts });
  vaults.push(vault);
  const home = tempDir();
  const env = { HOME: home, VAULT_ADDR: vault.addr, VAULT_TOKEN: TOKEN };
  return { vault, env, journal: path.join(home, "revoke-journal.ndjson") };
}

/** Loads every lease of the log into Vault, each in the namespace of the entry that first shows
 * it, except that `placed` decides the namespace of the leases it lists. */
function loadLeases(vault: FakeVault, placed: readonly OracleLease[] = []): void {
  const override = new Map(placed.map((l) => [l.leaseId, l.namespace]));
  for (const l of allLeases) vault.addLease(l.leaseId, override.get(l.leaseId) ?? l.namespace);
}

/** Vault revoked exactly `expected` (each once, in its namespace) and sent nothing else. */
function expectRevokedExactly(
  vault: FakeVault,
  expected: readonly OracleLease[],
  leasesBefore: number,
): void {
  for (const l of expected) {
    expect({ ...l, requests: vault.revokeRequests(l.leaseId, l.namespace) }).toEqual({
      ...l,
      requests: 1,
    });
    expect({ ...l, revocations: vault.revocations(l.leaseId, l.namespace) }).toEqual({
      ...l,
      revocations: 1,
    });
  }
  expect(vault.totalRevokeRequests).toBe(expected.length);
  expect(vault.leaseCount()).toBe(leasesBefore - expected.length);
}

function query(text: string, env: Record<string, string>, ...flags: string[]): Promise<BinResult> {
  return runBin(["query", "--db", db, ...flags, text], env);
}

function lines(stdout: string): string[] {
  return stdout.split("\n").filter((l) => l !== "");
}

/** An operator's pipeline: `breakglass query --db DB 'Q' | breakglass revoke --yes --journal J`. */
function queryIntoRevoke(text: string, env: Record<string, string>, journal: string) {
  return runPipeline(
    'breakglass query --db "$1" "$2" | breakglass revoke --yes --journal "$3"',
    [db, text, journal],
    env,
  );
}

const matching = (test: (e: Entry) => boolean): Entry[] => entries.filter(test);
const ipIs = (ip: string) => (e: Entry) => ipsOf(e).includes(ip);
const ipIn = (cidr: string) => (e: Entry) => ipsOf(e).some((ip) => inCidr4(ip, cidr));

// ---------------------------------------------------------------------------------------------

describe("the generated log is a fair test", () => {
  test("it has leases in the root and the child namespace, and planted leases behind the balancer", () => {
    expect(entries.length).toBeGreaterThan(2000);
    expect(allLeases.length).toBeGreaterThan(100);
    expect(allLeases.some((l) => l.namespace === CHILD_NAMESPACE)).toBe(true);
    expect(allLeases.some((l) => l.namespace === "")).toBe(true);
    const viaXffOnly = matching(
      (e) =>
        ipsOf(e).includes(planted.compromisedIp) &&
        stripPort(str(at(e.value, "request", "remote_address")) ?? "") !== planted.compromisedIp,
    );
    expect(leasesOf(viaXffOnly).length).toBeGreaterThan(0);
  });
});

describe("scenario: host compromised", () => {
  test("`ip = IP | leases` piped into `revoke --yes` revokes exactly that host's leases", async () => {
    const expected = leasesOf(matching(ipIs(planted.compromisedIp)));
    expect(expected.map((l) => l.leaseId)).toEqual(planted.compromisedIpLeases);

    const { vault, env, journal } = await vaultFixture();
    loadLeases(vault);
    const before = vault.leaseCount();
    const text = `ip = ${planted.compromisedIp} | leases`;

    const listed = await query(text, env);
    expect(listed.code).toBe(0);
    expect(lines(listed.stdout)).toEqual(expected.map((l) => l.leaseId));
    expect(vault.totalCalls).toBe(0);

    const r = await queryIntoRevoke(text, env, journal);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`revoked ${expected.length}, already gone 0, failed 0, skipped 0 \\(journal\\)`),
    );
    expectRevokedExactly(vault, expected, before);
  });
});

describe("scenario: credentials exposed", () => {
  test("`hmac = hash(PASSWORD) | leases` with the HMAC from Vault's sys/audit-hash, then revoke", async () => {
    const leakedHmac = hmacOf(planted.leakedPassword);
    expect(leakedHmac).toBe(planted.leakedPasswordHmac);
    const expected = leasesOf(matching((e) => hmacsOf(e.value).includes(leakedHmac)));
    expect(expected).toEqual([{ leaseId: planted.leakedPasswordLease, namespace: "" }]);

    const { vault, env, journal } = await vaultFixture();
    loadLeases(vault);
    const before = vault.leaseCount();
    const text = `hmac = hash("${planted.leakedPassword}") | leases`;

    const viaVault = await query(text, env);
    expect(viaVault.code, viaVault.stderr).toBe(0);
    expect(lines(viaVault.stdout)).toEqual([planted.leakedPasswordLease]);
    const hashCalls = vault.callsByPath.get("sys/audit-hash/file") ?? 0;
    expect(hashCalls).toBeGreaterThanOrEqual(1);

    const withSalt = await query(text, env, "--salt", SALT);
    expect(withSalt.code, withSalt.stderr).toBe(0);
    expect(lines(withSalt.stdout)).toEqual([planted.leakedPasswordLease]);
    expect(vault.callsByPath.get("sys/audit-hash/file") ?? 0).toBe(hashCalls);

    const r = await queryIntoRevoke(text, env, journal);
    expect(r.code, r.stderr).toBe(0);
    expectRevokedExactly(vault, expected, before);
  });

  test("a password that was never issued finds no lease, and revoke then sends nothing", async () => {
    const { vault, env, journal } = await vaultFixture();
    loadLeases(vault);
    const text = `hmac = hash("not-the-leaked-password") | leases`;
    const r = await queryIntoRevoke(text, env, journal);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/no lease ids given/);
    expect(vault.totalRevokeRequests).toBe(0);
  });
});

describe("scenario: user access", () => {
  test.each([
    ["secret/app1", "10.100.0.0/16"],
    ["secret/data/app1", "10.100.0.0/16"],
    ["secret/app2", "10.103.0.0/16"],
  ])('`path ^= "%s" and ip in %s | count` equals the oracle', async (prefix, cidr) => {
    const expected = matching(
      (e) => (pathOf(e)?.startsWith(prefix) ?? false) && ipIn(cidr)(e),
    ).length;
    const { env } = await vaultFixture();
    const r = await query(`path ^= "${prefix}" and ip in ${cidr} | count`, env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${expected}\n`);
  });

  test("`role = ROLE | count by ip` equals the oracle, largest count first", async () => {
    const counts = new Map<string, number>();
    for (const e of matching((e) => rolesOf(e).includes(planted.approleRole))) {
      for (const ip of new Set(ipsOf(e))) counts.set(ip, (counts.get(ip) ?? 0) + 1);
    }
    expect(counts.get(planted.compromisedIp)).toBeGreaterThan(0);
    const { env } = await vaultFixture();
    const r = await query(`role = ${planted.approleRole} | count by ip`, env);
    expect(r.code, r.stderr).toBe(0);
    const rows = lines(r.stdout).map((l) => {
      const [ip, n, ...rest] = l.split("\t");
      expect(rest).toEqual([]);
      return [ip as string, Number(n)] as const;
    });
    expect(new Map(rows)).toEqual(counts);
    expect(rows.length).toBe(counts.size);
    const ns = rows.map(([, n]) => n);
    expect(ns).toEqual([...ns].sort((a, b) => b - a));
  });
});

describe("scenario: authentication failure", () => {
  const failedUnwrap = (e: Entry): boolean =>
    pathOf(e) === "sys/wrapping/unwrap" && /not valid/.test(str(at(e.value, "error")) ?? "");

  test('`path = "sys/wrapping/unwrap" and error ~ "not valid" | count` equals the oracle', async () => {
    const expected = matching(failedUnwrap).length;
    expect(expected).toBeGreaterThanOrEqual(3);
    const { env } = await vaultFixture();
    const r = await query('path = "sys/wrapping/unwrap" and error ~ "not valid" | count', env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${expected}\n`);
  });

  test("… and hmac = STOLEN_TOKEN | fields time, ip: when and from where it was tried", async () => {
    const stolen = planted.stolenWrappingTokenHmac;
    const expected = matching((e) => failedUnwrap(e) && hmacsOf(e.value).includes(stolen)).map(
      (e) => {
        const ips = ipsOf(e);
        return { time: at(e.value, "time"), ip: ips.length === 1 ? ips[0] : ips };
      },
    );
    expect(expected.length).toBe(3);
    for (const row of expected) expect(row.ip).toBe(planted.failedUnwrapIp);

    const { env } = await vaultFixture();
    const r = await query(
      `path = "sys/wrapping/unwrap" and error ~ "not valid" and hmac = "${stolen}" | fields time, ip`,
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout).map((l) => JSON.parse(l) as unknown)).toEqual(expected);
  });

  test("`token in (ip = IP | distinct token) | leases`: the leases of every token the host used", async () => {
    const tokens = new Set(matching(ipIs(planted.compromisedIp)).flatMap(tokensOf));
    expect(tokens.has(planted.stolenWrappingTokenHmac)).toBe(true);
    const expected = leasesOf(matching((e) => tokensOf(e).some((t) => tokens.has(t))));
    expect(expected.length).toBeGreaterThanOrEqual(planted.compromisedIpLeases.length);

    const { env } = await vaultFixture();
    const r = await query(
      `token in (ip = ${planted.compromisedIp} | distinct token) | leases`,
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toEqual(expected.map((l) => l.leaseId));
  });
});

describe("scenario: Vault compromised", () => {
  test("`seal --yes` seals Vault (exit 0); a revoke after it exits 4 saying sealed", async () => {
    const { vault, env, journal } = await vaultFixture();
    loadLeases(vault);
    const before = vault.leaseCount();
    const sealed = await runBin(["seal", "--yes"], env);
    expect(sealed.code, sealed.stderr).toBe(0);
    expect(vault.sealed).toBe(true);

    const r = await queryIntoRevoke(`ip = ${planted.compromisedIp} | leases`, env, journal);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/Vault at http:\/\/127\.0\.0\.1:\d+ is sealed/);
    expect(vault.totalRevokeRequests).toBe(0);
    expect(vault.leaseCount()).toBe(before);
  });
});

describe("revoke --query: each lease in the namespace its audit entry recorded", () => {
  const CIDR = "10.0.0.0/8";
  const expectedFor10 = (): OracleLease[] => leasesOf(matching(ipIn(CIDR)));

  test("`revoke --query 'ip in 10.0.0.0/8' --db DIR --yes` revokes root and child-namespace leases where they live", async () => {
    const expected = expectedFor10();
    const child = expected.find((l) => l.namespace === CHILD_NAMESPACE);
    expect(child).toBeDefined();
    expect(expected.length).toBeLessThan(allLeases.length);

    const { vault, env, journal } = await vaultFixture();
    loadLeases(vault, expected);
    const before = vault.leaseCount();
    const r = await runBin(
      ["revoke", "--query", `ip in ${CIDR}`, "--db", db, "--yes", "--journal", journal],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(vault.revocations(child?.leaseId ?? "", CHILD_NAMESPACE)).toBe(1);
    expect(vault.revokeRequests(child?.leaseId ?? "", "")).toBe(0);
    expectRevokedExactly(vault, expected, before);
  });

  test("VAULT_NAMESPACE overrides the recorded namespace for every lease", async () => {
    const expected = expectedFor10();
    const inChild = expected.map((l) => ({ ...l, namespace: CHILD_NAMESPACE }));
    expect(expected.some((l) => l.namespace === "")).toBe(true);

    const { vault, env, journal } = await vaultFixture();
    loadLeases(vault, inChild);
    const before = vault.leaseCount();
    const r = await runBin(
      ["revoke", "--query", `ip in ${CIDR}`, "--db", db, "--yes", "--journal", journal],
      { ...env, VAULT_NAMESPACE: `${CHILD_NAMESPACE}/` },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(new Set(vault.revokeNamespaces)).toEqual(new Set([CHILD_NAMESPACE]));
    expectRevokedExactly(vault, inChild, before);
  });

  test("`revoke --dry-run --query …` prints the plan with namespaces and sends nothing", async () => {
    const expected = expectedFor10();
    const { vault, env, journal } = await vaultFixture();
    loadLeases(vault, expected);
    const r = await runBin(
      ["revoke", "--dry-run", "--query", `ip in ${CIDR}`, "--db", db, "--journal", journal],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toEqual(
      expected.map((l) => `PUT /v1/sys/leases/revoke\t${l.namespace || "(root)"}\t${l.leaseId}`),
    );
    expect(r.stderr).toMatch(new RegExp(`would revoke ${expected.length} leases`));
    expect(vault.totalCalls).toBe(0);
  });
});

describe("the oracle itself", () => {
  test("sees the same entries the bin indexed (every line an entry, none bad)", async () => {
    const r = await runBin(["stats", "--db", db, "--json"], { HOME: tempDir() });
    expect(r.code, r.stderr).toBe(0);
    const stats = JSON.parse(r.stdout) as { records: number; badLines: number };
    expect(stats).toMatchObject({ records: entries.length, badLines: 0 });
  });
});

describe.skipIf(!hasClickhouse())(
  "revoke --query --backend: the same leases from a two-shard ClickHouse",
  () => {
    const CIDR = "10.0.0.0/8";
    let url = "";
    const chEnv = { CLICKHOUSE_PASSWORD: CLICKHOUSE_TEST_PASSWORD };

    beforeAll(async () => {
      url = await freshClickhouseUrl();
      const r = await runBin(["index", "--backend", url, logFile], { HOME: tempDir(), ...chEnv });
      if (r.code !== 0) throw new Error(`index --backend failed (exit ${r.code}): ${r.stderr}`);
    }, 120_000);
    afterAll(stopSharedCluster);

    test("`revoke --query 'ip in 10.0.0.0/8' --backend URL --yes` revokes exactly the expected leases, where they live", async () => {
      const expected = leasesOf(matching(ipIn(CIDR)));
      const child = expected.find((l) => l.namespace === CHILD_NAMESPACE);
      expect(child).toBeDefined();
      const { vault, env, journal } = await vaultFixture();
      loadLeases(vault, expected);
      const before = vault.leaseCount();
      const r = await runBin(
        ["revoke", "--query", `ip in ${CIDR}`, "--backend", url, "--yes", "--journal", journal],
        { ...env, ...chEnv },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(vault.revocations(child?.leaseId ?? "", CHILD_NAMESPACE)).toBe(1);
      expectRevokedExactly(vault, expected, before);
    });

    test("$BREAKGLASS_BACKEND names the backend when --backend is not given", async () => {
      const expected = leasesOf(matching(ipIn(CIDR)));
      const { vault, env, journal } = await vaultFixture();
      loadLeases(vault, expected);
      const r = await runBin(
        ["revoke", "--dry-run", "--query", `ip in ${CIDR}`, "--journal", journal],
        { ...env, ...chEnv, BREAKGLASS_BACKEND: url },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(lines(r.stdout)).toEqual(
        expected.map((l) => `PUT /v1/sys/leases/revoke\t${l.namespace || "(root)"}\t${l.leaseId}`),
      );
      expect(vault.totalCalls).toBe(0);
    });
  },
);
