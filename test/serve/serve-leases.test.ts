// `ip = X | leases` over real HTTP answers what `breakglass query` (the built bin, a one-shot
// process) answers for the same index: serve takes its leases from lease columns it keeps across
// requests, the CLI from the term dictionary and the records. Asked twice (the second time from
// the columns already built), and again after more lines are indexed while the server runs (a
// new snapshot that keeps the old segments' columns and builds the new one's).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RunningServer } from "../../src/serve/start-server.js";
import { ensureBuilt, runBin } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  auditLines,
  fillerCalls,
  get,
  indexLines,
  LEASE_CALLS,
  ndjsonLines,
  q,
  serveForTest,
  START_MS,
  type Call,
} from "./serve-fixture.js";

const tempDir = tempDirs("bg-serve-leases-");
let server: RunningServer;
let db: string;

/** Leases from 10.0.0.5 in several namespaces, and a second lease id in one entry. */
function moreLines(startMs: number, tag: string): string[] {
  const calls: Call[] = [
    { ip: "10.0.0.5", path: "database/creds/app", lease: `database/creds/app/${tag}-1` },
    ...fillerCalls(40),
    {
      ip: "10.0.0.5",
      path: "database/creds/app",
      lease: `database/creds/app/${tag}-2`,
      namespace: "team-b/",
    },
    { ip: "10.0.0.6", path: "database/creds/app", lease: `database/creds/app/${tag}-3` },
  ];
  const lines = auditLines(calls, startMs);
  const two = JSON.stringify({
    time: new Date(startMs + 500).toISOString(),
    type: "response",
    request: { id: `two-${tag}`, path: "database/creds/app", remote_address: "10.0.0.5" },
    response: {
      secret: { lease_id: [`database/creds/app/${tag}-z`, `database/creds/app/${tag}-a`] },
    },
  });
  return [...lines, two];
}

beforeAll(async () => {
  await ensureBuilt();
  db = tempDir();
  const dir = tempDir();
  await indexLines(db, dir, "a.log", auditLines([...LEASE_CALLS, ...fillerCalls(200)]));
  await indexLines(db, dir, "b.log", moreLines(START_MS + 3_600_000, "b"));
  server = await serveForTest(db);
}, 120_000);
afterAll(async () => {
  await server?.close();
});

/** The answer over HTTP, without its trailer line. */
async function overHttp(text: string): Promise<string[]> {
  const res = await get(server, q(text));
  expect(res.status).toBe(200);
  const lines = await ndjsonLines(res);
  const trailer = JSON.parse(lines.pop()!) as { "@breakglass": { error?: unknown } };
  expect(trailer["@breakglass"].error).toBeUndefined();
  return lines;
}

async function fromCli(text: string): Promise<string[]> {
  const run = await runBin(["query", "--db", db, "--format", "ndjson", text], {});
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  return run.stdout.split("\n").filter((l) => l !== "");
}

const QUERIES = ["ip = 10.0.0.5 | leases", "ip = 10.0.0.6 | leases", "* | leases"];

describe("serve's `ip = X | leases`", () => {
  test("answers what `breakglass query` answers, asked twice", async () => {
    for (const text of QUERIES) {
      const cli = await fromCli(text);
      expect(cli.length, text).toBeGreaterThan(1);
      expect(await overHttp(text), text).toEqual(cli);
      expect(await overHttp(text), `${text}, again`).toEqual(cli);
    }
    const namespaces = (await overHttp("ip = 10.0.0.5 | leases")).map(
      (l) => (JSON.parse(l) as { namespace: string | null }).namespace,
    );
    expect(new Set(namespaces)).toEqual(new Set([null, "team-a/", "team-b/"]));
  });

  test("takes them from lease columns (explain says so), where the CLI reads the dictionary", async () => {
    const text = "ip = 10.0.0.5 | leases";
    const res = await get(server, `/api/v1/explain?q=${encodeURIComponent(text)}&analyze=true`);
    expect(res.status).toBe(200);
    const { plan } = (await res.json()) as { plan: string };
    expect(plan).toMatch(/first stage answered from the lease column in [1-9]\d* segments/);
    const cli = await runBin(["query", "--db", db, "--explain", text], {});
    expect(cli.code).toBe(0);
    expect(cli.stdout + cli.stderr).not.toContain("lease column");
  });

  test("after more lines are indexed, answers with them, as the CLI does", async () => {
    const before = await overHttp("ip = 10.0.0.5 | leases");
    // By another process, as `index` or `listen` would (this one holds the index open read-only).
    const log = path.join(tempDir(), "c.log");
    writeFileSync(log, moreLines(START_MS + 7_200_000, "c").join("\n") + "\n");
    const indexed = await runBin(["index", "--db", db, log], {});
    expect(indexed.code, indexed.stderr).toBe(0);
    for (const text of QUERIES) {
      expect(await overHttp(text), text).toEqual(await fromCli(text));
    }
    const after = await overHttp("ip = 10.0.0.5 | leases");
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.length).toBe(before.length + 4);
  });
});
