// The built bin (dist/bundle/main.mjs) against the fake Vault: what an operator sees.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { auditHmac } from "../../src/audit/audit-hmac.js";
import { FakeVault, type FakeVaultOptions } from "../helpers/fake-vault-server.js";
import { BIN, ensureBuilt, finishBin, ROOT, runBin, startBin } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";

const TOKEN = "hvs.CANARY-0123456789abcdef-never-print-me";
const run = runBin;

const tempDir = tempDirs("bg-e2e-revoke-");
const vaults: FakeVault[] = [];
afterEach(async () => {
  for (const v of vaults.splice(0)) await v.close();
});

async function fixture(opts: FakeVaultOptions = {}) {
  const vault = await FakeVault.start({ rootToken: TOKEN, ...opts });
  vaults.push(vault);
  const home = tempDir();
  const env = { HOME: home, VAULT_ADDR: vault.addr, VAULT_TOKEN: TOKEN };
  return { vault, home, env, journal: path.join(home, "journal.ndjson") };
}

const ids = (n: number) =>
  Array.from({ length: n }, (_, i) => `database/creds/app/${String(i).padStart(5, "0")}`);

beforeAll(ensureBuilt, 120_000);

describe("breakglass revoke", () => {
  test("revokes the lease ids on stdin (comments and blank lines ignored) and prints a summary", async () => {
    const { vault, env, journal } = await fixture();
    for (const id of ids(5)) vault.addLease(id);
    const input = `# from the incident\n\n${ids(5).join("\n")}\n  \n`;
    const r = await run(["revoke", "--yes", "--journal", journal, "--json"], env, input);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^revoked 5, already gone 0, failed 0, skipped 0 \(journal\)/m);
    expect(JSON.parse(r.stdout)).toMatchObject({
      revoked: 5,
      alreadyGone: 0,
      failed: 0,
      skipped: 0,
    });
    expect(vault.leaseCount()).toBe(0);
    expect((await stat(journal)).mode & 0o777).toBe(0o600);
  });

  test("the journal defaults to the index directory (--db)", async () => {
    const { vault, env, home } = await fixture();
    vault.addLease("x/1");
    const db = path.join(home, "idx");
    const r = await run(["revoke", "--yes", "--db", db], env, "x/1\n");
    expect(r.code).toBe(0);
    expect(await readFile(path.join(db, "revoke-journal.ndjson"), "utf8")).toContain(
      '"leaseId":"x/1"',
    );
  });

  test("--dry-run prints the plan with namespaces and the count, and sends nothing", async () => {
    const { vault, env, journal } = await fixture();
    const r = await run(
      ["revoke", "--dry-run", "--journal", journal],
      { ...env, VAULT_NAMESPACE: "team-a/" },
      "a/1\nb/2\n",
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "PUT /v1/sys/leases/revoke\tteam-a\ta/1\nPUT /v1/sys/leases/revoke\tteam-a\tb/2\n",
    );
    expect(r.stderr).toMatch(
      /would revoke 2 leases at http:\/\/127\.0\.0\.1:\d+, skip 0 \(journal\); nothing was sent/,
    );
    expect(vault.totalCalls).toBe(0);
    expect(existsSync(journal)).toBe(false);
  });

  test("without --yes and without a terminal it refuses with exit 2", async () => {
    const { vault, env } = await fixture();
    const r = await run(["revoke"], env, "a/1\n");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to revoke 1 lease without confirmation: no terminal/);
    expect(r.stderr).toMatch(/--yes/);
    expect(vault.totalCalls).toBe(0);
  });

  test.each([
    [["--force"], /--force needs --prefix/],
    [["--accessor", "--prefix"], /--accessor and --prefix/],
    [["--prefix", "--verify"], /--verify works on lease ids/],
    [["--concurrency", "0"], /--concurrency/],
    [["--token", "x"], /unknown option '--token'/],
  ])("flags %j are a usage error (exit 2)", async (flags, message) => {
    const { env } = await fixture();
    const r = await run(["revoke", "--yes", ...flags], env, "a\n");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  test("--query against a missing index exits 3 with 'no index at' and sends nothing", async () => {
    const { vault, env, home, journal } = await fixture();
    const db = path.join(home, "no-such-index");
    const r = await run(
      ["revoke", "--yes", "--query", "ip = 10.0.0.1 | leases", "--db", db, "--journal", journal],
      env,
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`no index at ${db}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(vault.totalCalls).toBe(0);
  });

  test("permission denied → exit 4 with a message that says so", async () => {
    const { env, journal } = await fixture({
      tokens: { "hvs.readonly": { deny: ["sys/leases/"] } },
    });
    const r = await run(
      ["revoke", "--yes", "--journal", journal],
      { ...env, VAULT_TOKEN: "hvs.readonly" },
      "a/1\nb/2\n",
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^revoked 0, already gone 0, failed 2, skipped 0 \(journal\)/m);
    expect(r.stderr).toMatch(/breakglass: 2 of 2 leases failed: permission denied/);
  });

  test("a wrong token on many leases stops early: exit 4, permission denied", async () => {
    const { vault, env, journal } = await fixture();
    const r = await run(
      ["revoke", "--yes", "--journal", journal],
      { ...env, VAULT_TOKEN: "wrong" },
      ids(300).join("\n"),
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /breakglass: permission denied: Vault refused all \d+ calls so far; stopped/,
    );
    expect(vault.totalCalls).toBeLessThan(60);
  });

  test("sealed → exit 4 'sealed'", async () => {
    const { env, journal } = await fixture({ sealed: true });
    const r = await run(["revoke", "--yes", "--journal", journal], env, "a/1\n");
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/breakglass: Vault at http:\/\/127\.0\.0\.1:\d+ is sealed; stopped/);
    expect(r.stderr).toMatch(/hint: unseal it/);
  });

  test("unreachable Vault → exit 4 'cannot reach'", async () => {
    const { vault, env, journal } = await fixture();
    await vault.close();
    vaults.splice(0);
    const r = await run(
      ["revoke", "--yes", "--journal", journal],
      { ...env, VAULT_MAX_RETRIES: "2" },
      "a/1\n",
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /breakglass: cannot reach Vault at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
    );
  });

  test("no token → exit 2 with where tokens come from", async () => {
    const { env } = await fixture();
    const r = await run(["revoke", "--yes"], { ...env, VAULT_TOKEN: "" }, "a/1\n");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no Vault token: set VAULT_TOKEN/);
  });

  test("--verify classifies revoked and already gone", async () => {
    const { vault, env, journal } = await fixture();
    vault.addLease("live/1");
    const r = await run(
      ["revoke", "--yes", "--verify", "--json", "--journal", journal],
      env,
      "live/1\ngone/1\n",
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ revoked: 1, alreadyGone: 1, failed: 0 });
  });

  test("--namespace routes every call there; --prefix P and --accessor use their endpoints", async () => {
    const { vault, env, journal } = await fixture();
    vault.addLease("db/creds/1", "team-a");
    vault.addLease("aws/creds/1");
    vault.addLease("aws/creds/2");
    vault.addAccessor("acc-9", "team-a");
    let r = await run(
      ["revoke", "--yes", "--namespace", "team-a/", "--journal", journal],
      env,
      "db/creds/1\n",
    );
    expect(r.code).toBe(0);
    expect(vault.hasLease("db/creds/1", "team-a")).toBe(false);
    r = await run(["revoke", "--yes", "--prefix", "aws/creds/", "--journal", journal], env);
    expect(r.code).toBe(0);
    expect(vault.leaseCount()).toBe(0);
    r = await run(
      ["revoke", "--yes", "--accessor", "--namespace", "team-a", "--journal", journal],
      env,
      "acc-9\n",
    );
    expect(r.code).toBe(0);
    expect(vault.hasAccessor("acc-9", "team-a")).toBe(false);
  });

  test("the token never appears in any output, debug included", async () => {
    const { vault, env, journal } = await fixture({
      tokens: { [`${TOKEN}-limited`]: { deny: ["sys/leases/revoke"] } },
    });
    vault.addLease("a/1");
    const debug = { ...env, BREAKGLASS_DEBUG: "1" };
    const runs = [
      await run(["revoke", "--yes", "--json", "--journal", journal], debug, "a/1\nb/1\n"),
      await run(["revoke", "--yes", "--verify", "--journal", journal], debug, "c/1\n"),
      await run(
        ["revoke", "--yes", "--journal", journal],
        { ...debug, VAULT_TOKEN: `${TOKEN}-limited` },
        "d/1\n",
      ),
      await run(["revoke", "--dry-run", "--journal", journal], debug, "e/1\n"),
      await run(["hash", "x"], debug),
      await run(["status", "--json"], debug),
    ];
    expect(runs.map((r) => r.code)).toEqual([0, 0, 4, 0, 0, 0]);
    expect(runs[0]?.stderr).toMatch(/X-Vault-Token: \[redacted\]/);
    for (const r of runs) {
      expect(r.stdout).not.toContain(TOKEN);
      expect(r.stderr).not.toContain(TOKEN);
      expect(r.stderr).not.toContain("CANARY");
    }
    expect(await readFile(journal, "utf8")).not.toContain("CANARY");
  });

  test("kill -9 halfway, then rerun: none missed, none sent again after the journal says done", async () => {
    const { vault, env, journal } = await fixture({ faults: { latencyMs: 10 } });
    const leases = ids(400);
    for (const id of leases) vault.addLease(id);
    const child = startBin(["revoke", "--yes", "--journal", journal], env, leases.join("\n"));
    const done = finishBin(child);
    while (vault.totalRevokeRequests < 150) await new Promise((r) => setTimeout(r, 5));
    child.kill("SIGKILL");
    const first = await done;
    expect(first.signal).toBe("SIGKILL");

    const lines = (await readFile(journal, "utf8")).split("\n").filter((l) => l.trim());
    const journaled = new Set<string>();
    for (const line of lines) {
      try {
        const rec = JSON.parse(line) as { leaseId: string; outcome: string };
        if (rec.outcome === "revoked") journaled.add(rec.leaseId);
      } catch {
        // a truncated last line is allowed
      }
    }
    expect(journaled.size).toBeGreaterThan(100);
    expect(journaled.size).toBeLessThan(400);
    for (const id of journaled) expect(vault.hasLease(id)).toBe(false);

    vault.setFaults(undefined);
    const second = await run(
      ["revoke", "--yes", "--json", "--journal", journal],
      env,
      leases.join("\n"),
    );
    expect(second.code).toBe(0);
    const summary = JSON.parse(second.stdout) as { revoked: number; skipped: number };
    expect(summary.skipped).toBe(journaled.size);
    expect(summary.revoked).toBe(400 - journaled.size);
    expect(vault.leaseCount()).toBe(0);
    for (const id of leases) {
      expect(vault.revokeRequests(id)).toBeGreaterThanOrEqual(1);
      expect(vault.revocations(id)).toBe(1);
    }
    for (const id of journaled) expect(vault.revokeRequests(id)).toBe(1);
    const resent = leases.filter((id) => vault.revokeRequests(id) > 1).length;
    console.log(
      `kill -9 after ${journaled.size} journaled; rerun skipped ${summary.skipped}, ` +
        `${resent} answered but not yet journaled at the kill were sent again`,
    );
    // At most the requests in flight (concurrency 8) plus outcomes queued for the journal (256).
    expect(resent).toBeLessThanOrEqual(8 + 256);
  });

  test("10,000 leases with default settings", async () => {
    const { vault, env, journal } = await fixture();
    const leases = ids(10_000);
    for (const id of leases) vault.addLease(id);
    const t0 = performance.now();
    const r = await run(
      ["revoke", "--yes", "--json", "--journal", journal],
      env,
      leases.join("\n"),
    );
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ revoked: 10_000, failed: 0 });
    expect(vault.leaseCount()).toBe(0);
    console.log(
      `10,000 leases revoked in ${seconds.toFixed(2)} s wall (${Math.round(10_000 / seconds)} leases/s), ` +
        `${vault.connections} connections`,
    );
  });
});

describe("revoke: no prefix, namespace or value can leave its endpoint (issue #15)", () => {
  /** Leases under database/ (13 of them) and aws/, so a stray revoke-prefix shows in the counts. */
  async function loaded() {
    const f = await fixture();
    for (const id of ids(13)) f.vault.addLease(id);
    f.vault.addLease("aws/creds/ops/1");
    return f;
  }

  test.each([
    ["nothing-here/../database/", /has a "\.\." segment/],
    ["../../../sys/seal", /has a "\.\." segment/],
    ["database/creds/app/..", /has a "\.\." segment/],
    ["%2e%2e/%2e%2e/%2e%2e/sys/seal", /contains "%"/],
    ["database%2f..%2f..%2f..%2fsys%2fseal", /contains "%"/],
    ["..\\..\\..\\sys\\seal", /contains a backslash/],
    ["database//creds", /has an empty segment/],
    ["/database/", /has an empty segment/],
    ["x?/../../../sys/seal", /contains "\?"/],
    ["x#/../../../sys/seal", /contains "#"/],
    ["database\u0000/", /contains a control character/],
    ["．．/．．/．．/sys/seal", /once Unicode look-alikes are read as ASCII/],
  ])(
    "stdin prefix %j: exit 2 naming it and its line, and no request at all",
    async (hostile, why) => {
      const { vault, env, journal } = await loaded();
      const input = `# prefixes\naws/creds/ops/\n${hostile}\n`;
      for (const extra of [[], ["--dry-run"]]) {
        const r = await run(
          ["revoke", "--yes", "--prefix", ...extra, "--journal", journal],
          env,
          input,
        );
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(
          `breakglass: stdin line 3: lease prefix ${JSON.stringify(hostile)}`,
        );
        expect(r.stderr).toMatch(why);
        expect(r.stdout).toBe("");
      }
      // At the HTTP level: the fake Vault saw nothing, so no other endpoint was reached.
      expect(vault.totalCalls).toBe(0);
      expect(vault.callsByPath.has("sys/seal")).toBe(false);
      expect(vault.callsByPath.has("sys/leases/revoke-prefix/database/")).toBe(false);
      expect(vault.sealed).toBe(false);
      expect(vault.leaseCount()).toBe(14);
    },
  );

  test.each([
    ["", /--prefix: lease prefix "" is empty/],
    [
      "../../../sys/seal",
      /--prefix: lease prefix "\.\.\/\.\.\/\.\.\/sys\/seal" has a "\.\." segment/,
    ],
  ])("--prefix %j is refused with exit 2 and nothing is sent", async (value, message) => {
    const { vault, env, journal } = await loaded();
    const r = await run(["revoke", "--yes", "--prefix", value, "--journal", journal], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(vault.totalCalls).toBe(0);
    expect(vault.sealed).toBe(false);
    expect(vault.leaseCount()).toBe(14);
  });

  test("--namespace and VAULT_NAMESPACE with '..' or a newline are refused (exit 2)", async () => {
    const { vault, env, journal } = await loaded();
    const flag = await run(
      ["revoke", "--yes", "--namespace", "team-a/../..", "--journal", journal],
      env,
      "a/1\n",
    );
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--namespace: namespace "team-a\/\.\.\/\.\." has a "\.\." segment/);
    const variable = await run(
      ["revoke", "--yes", "--journal", journal],
      { ...env, VAULT_NAMESPACE: "team-a\nX-Injected: 1" },
      "a/1\n",
    );
    expect(variable.code).toBe(2);
    expect(variable.stderr).toMatch(
      /VAULT_NAMESPACE: namespace "team-a\\nX-Injected: 1" contains a control/,
    );
    expect(vault.totalCalls).toBe(0);
  });

  test("the dry run prints each request as it would be sent, and the run sends exactly that", async () => {
    const { vault, env, journal } = await loaded();
    vault.addLease("odd name/x+y/1");
    const input = "database/creds/app/\nodd name/x+y/\n";
    const dry = await run(["revoke", "--dry-run", "--prefix", "--journal", journal], env, input);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(
      "PUT /v1/sys/leases/revoke-prefix/database/creds/app/\t(root)\tdatabase/creds/app/\n" +
        "PUT /v1/sys/leases/revoke-prefix/odd%20name/x%2By/\t(root)\todd name/x+y/\n",
    );
    const json = await run(
      ["revoke", "--dry-run", "--json", "--accessor", "--journal", journal],
      env,
      "acc-1\n",
    );
    expect(JSON.parse(json.stdout).plan).toEqual([
      {
        action: "revoke-accessor",
        request: "POST /v1/auth/token/revoke-accessor",
        namespace: "",
        leaseId: "acc-1",
      },
    ]);
    expect(vault.totalCalls).toBe(0);

    const real = await run(["revoke", "--yes", "--prefix", "--journal", journal], env, input);
    expect(real.code, real.stderr).toBe(0);
    expect([...vault.callsByPath.keys()].sort()).toEqual([
      "sys/leases/revoke-prefix/database/creds/app/",
      "sys/leases/revoke-prefix/odd name/x+y/",
    ]);
    expect(vault.leaseCount()).toBe(1);
    expect(vault.hasLease("aws/creds/ops/1")).toBe(true);
  });
});

describe("the token never shows, whatever the path or Vault's reply says (issue #15)", () => {
  const leaks = (r: { stdout: string; stderr: string }, token: string): boolean =>
    (r.stdout + r.stderr).includes(token) ||
    (r.stdout + r.stderr).includes(encodeURIComponent(token));

  test("hash --audit-device with the token in it: Vault's error echoes it, we never print it", async () => {
    for (const token of [TOKEN, "hvs.plus+slash/eq=CANARY2"]) {
      const { env } = await fixture({ rootToken: token });
      const tokenEnv = { ...env, VAULT_TOKEN: token };
      const debugEnv = { ...tokenEnv, BREAKGLASS_DEBUG: "1" };
      const sent = await run(["hash", "--audit-device", `nope/${token}`, "x"], tokenEnv);
      expect(sent.code).toBe(4);
      expect(sent.stderr).toMatch(
        /rejected POST sys\/audit-hash\/nope\/\[redacted\] \(400: unknown audit backend nope\/\[redacted\]\)/,
      );
      const runs = [
        sent,
        await run(["hash", "--audit-device", `nope/${token}`, "x"], debugEnv),
        await run(["hash", "--audit-device", `../${token}`, "x"], debugEnv),
        await run(["revoke", "--dry-run", "--prefix", `${token}/`], debugEnv),
        await run(["revoke", "--dry-run", "--json", "--prefix", `../${token}/`], debugEnv),
      ];
      expect(runs.map((r) => r.code)).toEqual([4, 4, 2, 0, 2]);
      for (const r of runs) expect(leaks(r, token), r.stdout + r.stderr).toBe(false);
      expect(runs[3]?.stdout).toMatch(/^PUT \/v1\/sys\/leases\/revoke-prefix\/\[redacted\]\/\t/);
    }
  });

  test("a server whose every error reply quotes the token and the path", async () => {
    const server = http.createServer((req, res) => {
      const said = `no handler for ${req.url ?? "?"} (token ${String(req.headers["x-vault-token"])})`;
      const asJson = (req.url ?? "").includes("audit-hash");
      res
        .writeHead(asJson ? 400 : 500, {
          "Content-Type": asJson ? "application/json" : "text/plain",
        })
        .end(asJson ? JSON.stringify({ errors: [said] }) : said);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const addr = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const env = {
        HOME: tempDir(),
        VAULT_ADDR: addr,
        VAULT_TOKEN: TOKEN,
        VAULT_MAX_RETRIES: "0",
        BREAKGLASS_DEBUG: "1",
      };
      const journal = path.join(env.HOME, "journal.ndjson");
      const runs = [
        await run(["hash", "x"], env),
        await run(["hash", "--audit-device", TOKEN, "x"], env),
        await run(["revoke", "--yes", "--json", "--journal", journal], env, `${TOKEN}\nlease/1\n`),
        await run(["revoke", "--yes", "--prefix", `db/${TOKEN}/`, "--journal", journal], env),
        await run(["revoke", "--yes", "--accessor", "--journal", journal], env, `${TOKEN}\n`),
        await run(["seal", "--yes"], env),
        await run(["status"], env),
      ];
      expect(runs.map((r) => r.code)).toEqual([4, 4, 4, 4, 4, 4, 4]);
      expect(runs[0]?.stderr).toMatch(
        /no handler for \/v1\/sys\/audit-hash\/file \(token \[redacted\]\)/,
      );
      for (const r of runs) expect(leaks(r, TOKEN), r.stdout + r.stderr).toBe(false);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe("breakglass hash, seal, unseal, status", () => {
  test("hash: locally with --salt and via sys/audit-hash print the same HMACs", async () => {
    const { vault, env } = await fixture({ salt: "the-salt" });
    const local = await run(["hash", "--salt", "the-salt", "pw-1", "pw-2"], env);
    const remote = await run(["hash", "pw-1", "pw-2"], env);
    const fromStdin = await run(
      ["hash"],
      { ...env, BREAKGLASS_AUDIT_SALT: "the-salt" },
      "pw-1\npw-2\n",
    );
    const expected = `${auditHmac("the-salt", "pw-1")}\n${auditHmac("the-salt", "pw-2")}\n`;
    expect([local.stdout, remote.stdout, fromStdin.stdout]).toEqual([expected, expected, expected]);
    expect(vault.callsByPath.get("sys/audit-hash/file")).toBe(2);
  });

  test("seal needs --yes without a terminal; unseal reads shares from stdin and shows progress", async () => {
    const { vault, env } = await fixture({ unsealKeys: ["k1", "k2", "k3"], threshold: 2 });
    const refused = await run(["seal"], env);
    expect(refused.code).toBe(2);
    expect(vault.sealed).toBe(false);
    const sealed = await run(["seal", "--yes"], env);
    expect(sealed.code).toBe(0);
    expect(vault.sealed).toBe(true);
    const status = await run(["status"], env);
    expect(status.stdout).toMatch(/sealed/);
    expect(status.stdout).toMatch(/unseal progress: 0 of 2/);

    const partial = await run(["unseal"], env, "k1\n");
    expect(partial.code).toBe(4);
    expect(partial.stderr).toMatch(/unseal progress: 1 of 2/);
    expect(partial.stderr).toMatch(/still sealed/);
    const reset = await run(["unseal", "--reset"], env);
    expect(reset.stderr).toMatch(/reset \(0 of 2\)/);
    const done = await run(["unseal", "--json"], env, "k2\nk3\nextra-ignored\n");
    expect(done.code).toBe(0);
    expect(done.stderr).toMatch(/unseal progress: 1 of 2[\s\S]*is unsealed/);
    expect(JSON.parse(done.stdout)).toMatchObject({ sealed: false });
    expect(vault.sealed).toBe(false);
    expect(done.stderr + done.stdout).not.toMatch(/k2|k3/);
  });
});

describe("confirmation on a terminal (a pty from script(1))", () => {
  const hasScript = existsSync("/usr/bin/script");

  test.runIf(hasScript)(
    "with lease ids on stdin, the question is asked on /dev/tty and answered there",
    async () => {
      for (const [answer, revoked] of [
        ["y", true],
        ["n", false],
      ] as const) {
        const { vault, env, journal } = await fixture();
        vault.addLease("tty/1");
        const inner = `printf 'tty/1\\n' | '${process.execPath}' '${BIN}' revoke --journal '${journal}'`;
        const child = spawn("/usr/bin/script", ["-qec", inner, "/dev/null"], {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? "", TERM: "dumb", ...env },
          stdio: ["pipe", "pipe", "pipe"],
        });
        let seen = "";
        const asked = new Promise<void>((resolve) =>
          child.stdout?.on("data", (c: Buffer) => {
            seen += c.toString();
            if (seen.includes("[y/N]")) resolve();
          }),
        );
        const done = new Promise<number | null>((resolve) => child.on("close", resolve));
        await asked;
        child.stdin?.write(`${answer}\r`);
        const code = await done;
        expect(seen).toMatch(/Revoke 1 lease at http:\/\/127\.0\.0\.1:\d+\? \[y\/N\]/);
        expect(vault.hasLease("tty/1")).toBe(!revoked);
        expect(code).toBe(revoked ? 0 : 2);
      }
    },
  );

  test.runIf(hasScript)("unseal on a terminal takes shares without echoing them", async () => {
    const { vault, env } = await fixture({
      unsealKeys: ["share-AAA", "share-BBB", "share-CCC"],
      threshold: 2,
      sealed: true,
    });
    const child = spawn(
      "/usr/bin/script",
      ["-qec", `'${process.execPath}' '${BIN}' unseal`, "/dev/null"],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "", TERM: "dumb", ...env },
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let seen = "";
    let prompts = 0;
    child.stdout?.on("data", (c: Buffer) => {
      seen += c.toString();
      const n = seen.split("(hidden): ").length - 1;
      while (prompts < n) {
        child.stdin?.write(prompts === 0 ? "share-AAA\r" : "share-CCC\r");
        prompts++;
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(0);
    expect(vault.sealed).toBe(false);
    expect(seen).toMatch(/unseal progress: 1 of 2/);
    expect(seen).toMatch(/is unsealed/);
    expect(seen).not.toContain("share-");
  });
});
