// `breakglass serve --backend clickhouse://…` (the built bin) against a two-shard cluster, beside
// `breakglass serve --db` on the local index built from the same log: over real HTTP every
// endpoint answers what the local server answers (SPEC-style queries and stages, a subquery, a
// query error with its caret, the histogram, the field sidebar, a record's partner, leases, stats,
// a revoke against the Vault-compatible test server), a query whose client goes away is
// cancelled, the password never appears in the server's output or in an answer, a backend that
// cannot be reached fails the start with exit 3, and one that goes away later makes each
// request a 503 JSON error while the server stays up.
import { appendFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { writeAuditLog } from "../../src/demo/generate-log.js";
import { CLICKHOUSE_TEST_PASSWORD, hasClickhouse } from "../helpers/clickhouse-cluster.js";
import {
  indexLocallyAndOnClickhouse,
  sharedCluster,
  stopSharedCluster,
} from "../helpers/clickhouse-backend-for.js";
import { FakeVault } from "../helpers/fake-vault-server.js";
import { ensureBuilt, runBin } from "../helpers/run-bin.js";
import { startServe, type ServeProcess } from "../helpers/serve-process.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { auditLines, fillerCalls } from "../serve/serve-fixture.js";

const tempDir = tempDirs("bg-e2e-serve-ch-");
const PASSWORD = CLICKHOUSE_TEST_PASSWORD;
const CH_ENV = { CLICKHOUSE_PASSWORD: PASSWORD };
const VAULT_TOKEN = "hvs.serve-clickhouse-root-token";
/** Padded filler pairs: an answer (~20 MB) far larger than socket buffers, for cancellation. */
const FILLER_CALLS = 2500;
const FILLER_PAD_BYTES = 4000;

/** Every answer body the ClickHouse server gave, to look for the password in. */
const answers: string[] = [];

async function call(
  server: ServeProcess,
  pathAndQuery: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const res = await fetch(new URL(pathAndQuery, server.origin), {
    method: body === undefined ? "GET" : "POST",
    headers: {
      authorization: `Bearer ${server.token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  answers.push(text);
  return { status: res.status, text };
}

const query = (text: string): string => `/api/v1/query?q=${encodeURIComponent(text)}&limit=100000`;

describe.skipIf(!hasClickhouse())("breakglass serve --backend clickhouse://… (two shards)", () => {
  let home = "";
  let db = "";
  let url = "";
  let compromisedIp = "";
  let local: ServeProcess;
  let onCh: ServeProcess;
  let vault: FakeVault;

  beforeAll(async () => {
    await ensureBuilt();
    home = tempDir();
    const log = path.join(home, "audit.log");
    const gen = await writeAuditLog(log, { seed: 11, targetBytes: 600_000, salt: "serve-ch" });
    compromisedIp = gen.planted!.compromisedIp;
    const padded = auditLines(
      fillerCalls(FILLER_CALLS),
      Date.parse("2026-12-01T00:00:00Z"),
      FILLER_PAD_BYTES,
    );
    appendFileSync(log, padded.join("\n") + "\n");
    db = path.join(home, "db");
    url = await indexLocallyAndOnClickhouse(home, db, log);
    vault = await FakeVault.start({ rootToken: VAULT_TOKEN });
    const vaultEnv = { HOME: home, VAULT_ADDR: vault.addr, VAULT_TOKEN };
    [local, onCh] = await Promise.all([
      startServe(
        ["--db", db, "--allow-revoke", "--journal", path.join(home, "local.journal")],
        vaultEnv,
      ),
      startServe(
        [
          "--backend",
          url,
          "--db",
          path.join(home, "no-index"),
          "--allow-revoke",
          "--journal",
          path.join(home, "ch.journal"),
        ],
        { ...vaultEnv, ...CH_ENV },
      ),
    ]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([local?.stop(), onCh?.stop()]);
    await vault?.close();
    await stopSharedCluster();
  });

  test("the start banner names the ClickHouse URL without the password", () => {
    expect(onCh.output()).toContain(`answering from ClickHouse ${url.replace(/\?.*/, "")}`);
    expect(local.output()).toContain(`answering from the index in ${db}`);
  });

  test.each([
    "ip = COMPROMISED",
    "ip = COMPROMISED | leases",
    "ip in 10.0.0.0/8 | count by path",
    "op = read | top 3 display_name",
    "* | timeline 1h",
    "token in (ip = COMPROMISED | distinct token) | leases",
    "ip = COMPROMISED | sort time desc | limit 3 | fields time, path",
    "ip = | count",
  ])("GET /api/v1/query %s: the local server's answer", async (template) => {
    const text = template.replace("COMPROMISED", compromisedIp);
    const [a, b] = await Promise.all([call(local, query(text)), call(onCh, query(text))]);
    expect(b.status).toBe(a.status);
    // Rows before the trailer (or the error body): an answer that can differ.
    expect(a.status === 200 ? a.text.trim().split("\n").length : 2).toBeGreaterThan(1);
    expect(b.text).toBe(a.text);
  });

  test("a query error is a 400 with the CLI's message and caret", async () => {
    const r = await call(onCh, query("ip = | count"));
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toMatchObject({
      error: { kind: "query", offset: 5, line: 1, column: 6, rendered: /\n {7}\^$/ },
    });
  });

  test.each([
    ["timeline", `/api/v1/timeline?q=${encodeURIComponent("ip in 10.0.0.0/8")}`],
    ["facets", `/api/v1/facets?q=${encodeURIComponent("op = read")}`],
    ["leases", `/api/v1/leases?q=${encodeURIComponent("path ^= database/creds/")}`],
    ["fields", "/api/v1/fields"],
  ])("GET /api/v1/%s: the local server's answer", async (_name, pathAndQuery) => {
    const [a, b] = await Promise.all([call(local, pathAndQuery), call(onCh, pathAndQuery)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(JSON.parse(b.text)).toEqual(JSON.parse(a.text));
  });

  test("a record and its request/response partner, as the page looks them up", async () => {
    const first = JSON.parse(
      (await call(local, query(`ip = ${compromisedIp}`))).text.split("\n")[0]!,
    );
    const text = `request_id = "${first.request.id}" | pair`;
    const [a, b] = await Promise.all([call(local, query(text)), call(onCh, query(text))]);
    expect(b.text).toBe(a.text);
    expect(JSON.parse(b.text.split("\n")[0]!)).toMatchObject({
      request: { request: { id: first.request.id } },
      response: { request: { id: first.request.id } },
    });
  });

  test("stats and server count what the local index counts; explain shows the SQL", async () => {
    const [a, b] = await Promise.all([call(local, "/api/v1/stats"), call(onCh, "/api/v1/stats")]);
    const [sa, sb] = [JSON.parse(a.text), JSON.parse(b.text)];
    for (const key of [
      "files",
      "records",
      "badLines",
      "bytes",
      "firstTime",
      "lastTime",
      "noTime",
    ]) {
      expect(sb[key], key).toEqual(sa[key]);
    }
    const server = JSON.parse((await call(onCh, "/api/v1/server")).text);
    expect(server).toMatchObject({ records: sa.records, generation: null, allowRevoke: true });
    expect(server.backend).toBe(url.replace(/\?.*/, "") + "?cluster=breakglass_test");
    const explain = JSON.parse(
      (await call(onCh, `/api/v1/explain?q=${encodeURIComponent("ip = 10.0.0.1 | count")}`)).text,
    );
    expect(explain.plan).toMatch(/^ClickHouse .*\nWHERE /);
  });

  test("revoke: the dry run plans what the local one plans; the run revokes exactly those", async () => {
    const body = { q: `ip = ${compromisedIp}`, dryRun: true };
    const [a, b] = await Promise.all([
      call(local, "/api/v1/revoke", body),
      call(onCh, "/api/v1/revoke", body),
    ]);
    expect(b.status).toBe(200);
    const plan = JSON.parse(a.text);
    expect(JSON.parse(b.text)).toEqual(plan);
    expect(plan.count).toBeGreaterThan(0);
    for (const p of plan.plan) vault.addLease(p.leaseId, p.namespace);
    vault.addLease("database/creds/other/not-in-the-query");
    const run = await call(onCh, "/api/v1/revoke", {
      q: `ip = ${compromisedIp}`,
      expectedCount: plan.count,
    });
    expect(run.status).toBe(200);
    const last = JSON.parse(run.text.trim().split("\n").pop()!);
    expect(last).toMatchObject({ summary: { revoked: plan.count, failed: 0 } });
    for (const p of plan.plan) expect(vault.revocations(p.leaseId, p.namespace)).toBe(1);
    expect(vault.totalRevokeRequests).toBe(plan.count);
    expect(vault.hasLease("database/creds/other/not-in-the-query")).toBe(true);
  });

  test("a query whose client goes away is cancelled: the engine stops reading", async () => {
    const before = JSON.parse((await call(onCh, "/api/v1/server")).text).queries;
    const target = new URL(query("path = secret/data/filler"), onCh.origin);
    await new Promise<void>((resolve, reject) => {
      const req = http.get(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          headers: { authorization: `Bearer ${onCh.token}` },
        },
        (res) => res.once("data", () => (req.destroy(), resolve())),
      );
      req.on("error", (e) => {
        if ((e as NodeJS.ErrnoException).code !== "ECONNRESET") reject(e);
      });
    });
    let after = before;
    for (let i = 0; i < 200 && after.served === before.served; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = JSON.parse((await call(onCh, "/api/v1/server")).text).queries;
    }
    expect(after.cancelled).toBe(before.cancelled + 1);
    expect(after.rowsPulled - before.rowsPulled).toBeLessThan(FILLER_CALLS);
  });

  test("the password is in no answer and nowhere in the server's output", () => {
    expect(answers.length).toBeGreaterThan(10);
    for (const text of [...answers, onCh.output()]) expect(text).not.toContain(PASSWORD);
  });

  test.each([
    [
      "an unreachable server",
      (u: string) => u.replace(/:\d+\//, ":1/"),
      CH_ENV,
      3,
      /cannot reach ClickHouse at clickhouse:\/\/breakglass@127\.0\.0\.1:1\//,
    ],
    [
      "a wrong password",
      (u: string) => u,
      { CLICKHOUSE_PASSWORD: "wrong-Pa55" },
      3,
      /refused user breakglass/,
    ],
    [
      "a database never loaded",
      (u: string) => u.replace(/\/bg_test_\w+/, "/never_loaded"),
      CH_ENV,
      3,
      /no breakglass data in database never_loaded/,
    ],
    [
      "a password in the URL",
      (u: string) => u.replace("breakglass@", `breakglass:${PASSWORD}@`),
      {},
      2,
      /carries a password/,
    ],
  ])(
    "%s: serve does not start, says why, never prints the password",
    async (_why, urlOf, env, code, message) => {
      const r = await runBin(["serve", "--listen", "127.0.0.1:0", "--backend", urlOf(url)], {
        HOME: home,
        ...env,
      });
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.stderr + r.stdout).not.toMatch(/token=|wrong-Pa55/);
      expect(r.stderr + r.stdout).not.toContain(PASSWORD);
    },
  );

  test("a ClickHouse error is a 502 JSON error; the next request answers again", async () => {
    const cluster = await sharedCluster();
    const entries = `${new URL(url).pathname.slice(1)}.breakglass_entries`;
    const text = query(`ip = ${compromisedIp} | count`);
    const before = await call(onCh, text);
    await cluster.sql(`RENAME TABLE ${entries} TO ${entries}_away`);
    const r = await call(onCh, text);
    await cluster.sql(`RENAME TABLE ${entries}_away TO ${entries}`);
    expect(r.status).toBe(502);
    expect(JSON.parse(r.text)).toMatchObject({
      error: { status: 502, kind: "backend", message: /^ClickHouse at clickhouse:\/\/breakglass@/ },
    });
    expect(await call(onCh, text)).toEqual(before);
  });

  // Last: it stops the cluster.
  test("ClickHouse gone: each request is a 503 JSON error, and the server stays up", async () => {
    // A results stream under way when ClickHouse stops ends with the error in its trailer.
    const streaming = await fetch(new URL(query("path = secret/data/filler"), onCh.origin), {
      headers: { authorization: `Bearer ${onCh.token}` },
    });
    const reader = streaming.body!.getReader();
    const chunks = [Buffer.from((await reader.read()).value!)];
    await (await sharedCluster()).stop();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      chunks.push(Buffer.from(r.value));
    }
    const lines = Buffer.concat(chunks).toString("utf8").trim().split("\n");
    expect(lines.length).toBeLessThan(FILLER_CALLS * 2);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({
      "@breakglass": {
        next: null,
        error: { status: 503, kind: "backend", message: /cannot reach ClickHouse/ },
      },
    });
    for (const p of [
      query(`ip = ${compromisedIp}`),
      "/api/v1/stats",
      "/api/v1/server",
      `/api/v1/leases?q=*`,
    ]) {
      const r = await call(onCh, p);
      expect(r.status, p).toBe(503);
      expect(JSON.parse(r.text), p).toMatchObject({
        error: {
          status: 503,
          kind: "backend",
          message: /cannot reach ClickHouse at clickhouse:\/\/breakglass@/,
        },
      });
      expect(r.text).not.toContain(PASSWORD);
    }
    expect((await call(onCh, "/api/v1/fields")).status).toBe(200);
    expect(onCh.output()).not.toContain(PASSWORD);
  });
});
