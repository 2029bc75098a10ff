// The HTTP API of `breakglass serve` over real HTTP (fetch against the server on a loopback
// port, a real LMDB index): every endpoint, its errors, the token, Host and Origin checks, the
// security headers and the query slots. Expected answers come from the fixture's known calls.
import { createHmac } from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it, test } from "vitest";
import { QueryError } from "../../src/errors.js";
import { parseQuery } from "../../src/query/parse-query.js";
import type { RunningServer } from "../../src/serve/start-server.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  auditLines,
  fillerCalls,
  get,
  indexLines,
  LEASE_CALLS,
  ndjsonLines,
  post,
  q,
  SALT,
  serveForTest,
  TOKEN,
} from "./serve-fixture.js";

const tempDir = tempDirs("bg-serve-api-");
const FILLER = 300;
const LINES = auditLines([...LEASE_CALLS, ...fillerCalls(FILLER)]);
let server: RunningServer;
let host: string;

beforeAll(async () => {
  const db = tempDir();
  await indexLines(db, tempDir(), "audit.log", LINES);
  server = await serveForTest(db);
  host = new URL(server.url).host;
});
afterAll(async () => {
  await server?.close();
});

function trailerOf(lines: string[]): {
  rows: number;
  next: string | null;
  error?: { message: string };
} {
  const last = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
  expect(Object.keys(last)).toEqual(["@breakglass"]);
  return last["@breakglass"] as { rows: number; next: string | null };
}

describe("access", () => {
  it("refuses a request without the token (401), and with a wrong one", async () => {
    const none = await fetch(new URL("/api/v1/server", server.url));
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { message: string } }).error.message).toMatch(/token/);
    const wrong = await fetch(new URL("/api/v1/server", server.url), {
      headers: { authorization: "Bearer not-the-token-at-all" },
    });
    expect(wrong.status).toBe(401);
    const page = await fetch(server.url);
    expect(page.status).toBe(401);
  });

  it("takes the bearer token", async () => {
    const res = await get(server, "/api/v1/server");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ allowRevoke: false, records: LINES.length });
  });

  it("turns the start URL's ?token= into a cookie and a redirect without it; the cookie then works", async () => {
    const res = await fetch(new URL(`/?q=ip%20%3D%2010.0.0.5&token=${TOKEN}`, server.url), {
      redirect: "manual",
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/?q=ip+%3D+10.0.0.5");
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const pair = cookie.split(";")[0]!;
    const api = await fetch(new URL("/api/v1/server", server.url), { headers: { cookie: pair } });
    expect(api.status).toBe(200);
    const page = await fetch(server.url, { headers: { cookie: pair } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
  });

  it("redirects only within the server (`//host/` is not another host)", async () => {
    const url = new URL(server.url);
    const location = await new Promise<string | undefined>((resolve, reject) => {
      http
        .get(
          { host: url.hostname, port: url.port, path: `//evil.example/x?token=${TOKEN}` },
          (res) => {
            res.resume();
            resolve(res.headers.location);
          },
        )
        .on("error", reject);
    });
    expect(location).toMatch(/^\/(?![/\\])/);
  });

  it("does not take ?token= on the API (a URL with a token would end up in logs)", async () => {
    const res = await fetch(new URL(`/api/v1/server?token=${TOKEN}`, server.url));
    expect(res.status).toBe(401);
  });

  it("refuses a start URL with a wrong token", async () => {
    const res = await fetch(new URL("/?token=wrong-token-wrong-token", server.url), {
      redirect: "manual",
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  /** A raw request, so that Host can be anything (fetch sets it from the URL). */
  function rawGet(headers: Record<string, string>): Promise<number> {
    const url = new URL("/api/v1/server", server.url);
    return new Promise((resolve, reject) => {
      http
        .get(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            headers: { authorization: `Bearer ${TOKEN}`, ...headers },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
        .on("error", reject);
    });
  }

  test.each([
    ["evil.example:80", 403],
    [`attacker.example:${new URL("http://x").port || "8765"}`, 403],
    ["127.0.0.1", 403],
  ])("refuses Host %s (DNS rebinding)", async (h, status) => {
    expect(await rawGet({ host: h })).toBe(status);
  });

  it("answers Host localhost:PORT and 127.0.0.1:PORT", async () => {
    const port = new URL(server.url).port;
    expect(await rawGet({ host: `localhost:${port}` })).toBe(200);
    expect(await rawGet({ host: `127.0.0.1:${port}` })).toBe(200);
  });

  it("refuses another Origin and a cross-site fetch, takes its own", async () => {
    expect((await get(server, "/api/v1/server", { origin: "https://evil.example" })).status).toBe(
      403,
    );
    expect(
      (await get(server, "/api/v1/server", { origin: `http://${host}.evil.example` })).status,
    ).toBe(403);
    expect((await get(server, "/api/v1/server", { "sec-fetch-site": "cross-site" })).status).toBe(
      403,
    );
    expect((await get(server, "/api/v1/server", { origin: `http://${host}` })).status).toBe(200);
    const refused = await post(
      server,
      "/api/v1/hash",
      { plaintexts: ["x"] },
      { origin: "http://evil.example" },
    );
    expect(refused.status).toBe(403);
  });

  it("sends a strict Content-Security-Policy and no-sniff on pages, API answers and errors", async () => {
    for (const res of [
      await get(server, "/"),
      await get(server, "/api/v1/fields"),
      await fetch(new URL("/api/v1/fields", server.url)),
    ]) {
      const csp = res.headers.get("content-security-policy")!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });
});

describe("GET /api/v1/query", () => {
  it("streams the matching records as their original lines, then a trailer", async () => {
    const res = await get(server, q("ip = 10.0.0.5"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/x-ndjson/);
    const lines = await ndjsonLines(res);
    const expected = LINES.filter((l) => l.includes('"remote_address":"10.0.0.5"'));
    expect(lines.slice(0, -1)).toEqual(expected);
    expect(trailerOf(lines)).toEqual({ rows: 6, next: null });
  });

  it("streams stage rows as objects", async () => {
    const lines = await ndjsonLines(
      await get(server, q("path = database/creds/app | count by ip")),
    );
    expect(lines.slice(0, -1).map((l) => JSON.parse(l))).toEqual([
      { ip: "10.0.0.5", count: 6 },
      { ip: "10.0.0.6", count: 4 },
    ]);
  });

  it("pages with limit and cursor: every record once, in order", async () => {
    const seen: string[] = [];
    let cursor: string | null = "";
    let pages = 0;
    while (cursor !== null) {
      const extra: string = `&limit=250${cursor ? `&cursor=${cursor}` : ""}`;
      const lines = await ndjsonLines(await get(server, q("*", extra)));
      const t = trailerOf(lines);
      seen.push(...lines.slice(0, -1));
      expect(t.rows).toBe(lines.length - 1);
      cursor = t.next;
      pages++;
    }
    expect(pages).toBe(Math.ceil(LINES.length / 250));
    expect(seen).toEqual(LINES);
  });

  it("takes the parameters as a JSON body too", async () => {
    const res = await post(server, "/api/v1/query", { q: "ip = 10.0.0.6 | count" });
    expect(await ndjsonLines(res)).toEqual([
      '{"count":4}',
      '{"@breakglass":{"rows":1,"next":null}}',
    ]);
  });

  it("answers relative times: `time >= now-…` counts back from the request", async () => {
    const days = Math.ceil((Date.now() - Date.parse("2026-01-01T00:00:00Z")) / 86_400_000) + 1;
    const all = await ndjsonLines(await get(server, q(`time >= now-${days}d | count`)));
    expect(JSON.parse(all[0]!)).toEqual({ count: LINES.length });
    const none = await ndjsonLines(await get(server, q("time > now | count")));
    expect(JSON.parse(none[0]!)).toEqual({ count: 0 });
  });

  it("gives CSV, and a download without the trailer", async () => {
    const csv = await get(server, q("ip = 10.0.0.6 | count by path", "&format=csv"));
    expect(csv.headers.get("content-type")).toMatch(/text\/csv/);
    expect(await csv.text()).toBe("path,count\r\ndatabase/creds/app,4\r\n");
    const dl = await get(server, q("ip = 10.0.0.6", "&download=true"));
    expect(dl.headers.get("content-disposition")).toMatch(/attachment/);
    expect(await ndjsonLines(dl)).toEqual(LINES.filter((l) => l.includes("10.0.0.6")));
  });

  test.each([
    "ip = ",
    "ip = 10.0.0.5 | count by nosuchfield",
    "nosuchfield = 1",
    "time >= now-1y",
    "path = x | leases | count by ip",
  ])("a query error is a 400 with the CLI's message, position and hint: %s", async (text) => {
    let cli: QueryError | undefined;
    try {
      parseQuery(text);
    } catch (e) {
      cli = e as QueryError;
    }
    const res = await get(server, q(text));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body.error.kind).toBe("query");
    if (cli) {
      expect(body.error.message).toBe(cli.message);
      expect(body.error.offset).toBe(cli.offset);
      expect(body.error.rendered).toBe(cli.render());
      expect(body.error.hint).toBe(cli.hint);
    } else {
      expect(String(body.error.rendered)).toMatch(/^query:1:\d+: /);
    }
  });

  test.each([
    ["", 400, /required/],
    ["&limit=abc", 400, /limit/],
    ["&limit=0", 400, /limit/],
    ["&limit=100001", 413, /100000/],
    ["&cursor=garbage", 400, /cursor/],
    ["&format=xml", 400, /format/],
  ])("a bad parameter (%s) is a %d with a message", async (extra, status, message) => {
    const res = await get(server, extra === "" ? "/api/v1/query" : q("*", extra));
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
  });

  it("refuses another query's cursor", async () => {
    const lines = await ndjsonLines(await get(server, q("*", "&limit=10")));
    const next = trailerOf(lines).next!;
    const res = await get(server, q("ip = 10.0.0.5", `&limit=10&cursor=${next}`));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /another query/,
    );
  });
});

describe("the other endpoints", () => {
  it("explain: the plan, and with analyze the rows", async () => {
    const plain = (await (
      await get(server, "/api/v1/explain?q=ip%20%3D%2010.0.0.5")
    ).json()) as Record<string, unknown>;
    expect(plain.analyzed).toBe(false);
    expect(String(plain.plan)).toMatch(/ip/);
    const analyzed = (await (
      await get(server, "/api/v1/explain?analyze=true&q=ip%20%3D%2010.0.0.5")
    ).json()) as Record<string, unknown>;
    expect(analyzed).toMatchObject({ analyzed: true, rows: 6 });
    expect((await get(server, "/api/v1/explain?q=ip%20%3D")).status).toBe(400);
  });

  it("timeline: buckets that add up to the matches", async () => {
    const res = (await (await get(server, "/api/v1/timeline?q=*&interval=1m")).json()) as {
      intervalMs: number;
      total: number;
      buckets: { time: string; count: number }[];
    };
    expect(res.intervalMs).toBe(60_000);
    expect(res.total).toBe(LINES.length);
    expect(res.buckets[0]).toMatchObject({ time: "2026-01-01T00:00:00Z", count: 120 });
    expect(res.buckets.reduce((n, b) => n + b.count, 0)).toBe(LINES.length);
    expect((await get(server, "/api/v1/timeline?q=*&interval=1%20|%20count")).status).toBe(400);
  });

  it("timeline: counts the matches of the filter, whatever the query's stages", async () => {
    const res = (await (
      await get(server, `/api/v1/timeline?q=${encodeURIComponent("ip = 10.0.0.5 | count by path")}`)
    ).json()) as { total: number };
    expect(res.total).toBe(6);
  });

  it("facets: the top values of fields over the matches", async () => {
    const res = (await (
      await get(
        server,
        `/api/v1/facets?q=${encodeURIComponent("path = database/creds/app")}&fields=ip,op&n=1`,
      )
    ).json()) as { fields: Record<string, unknown> };
    expect(res.fields).toEqual({
      ip: [{ value: "10.0.0.5", count: 6 }],
      op: [{ value: "update", count: 10 }],
    });
    const all = (await (await get(server, "/api/v1/facets?q=*")).json()) as {
      fields: Record<string, unknown[]>;
    };
    expect(Object.keys(all.fields)).toEqual(expect.arrayContaining(["ip", "path", "op"]));
    expect(all.fields.ip).toHaveLength(10);
    const bad = await get(server, "/api/v1/facets?q=*&fields=ip,nosuch");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/nosuch/);
  });

  it("leases: the leases of the query with their namespaces", async () => {
    const res = (await (await get(server, "/api/v1/leases?q=ip%20%3D%2010.0.0.5")).json()) as {
      count: number;
      leases: { lease: string; namespace: string | null }[];
    };
    expect(res.count).toBe(3);
    expect(res.leases).toEqual([
      { lease: "database/creds/app/L1", namespace: null },
      { lease: "database/creds/app/L2", namespace: null },
      { lease: "database/creds/app/L3", namespace: "team-a/" },
    ]);
  });

  it("stats: what is indexed", async () => {
    const stats = (await (await get(server, "/api/v1/stats")).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({ files: 1, records: LINES.length, badLines: 0 });
    expect(Date.parse(String(stats.firstTime))).toBe(Date.parse("2026-01-01T00:00:00Z"));
  });

  it("fields: the catalog, stages and operators", async () => {
    const f = (await (await get(server, "/api/v1/fields")).json()) as {
      fields: { name: string; kind: string }[];
      stages: string[];
      operators: string[];
    };
    expect(f.fields).toContainEqual(expect.objectContaining({ name: "ip", kind: "ip" }));
    expect(f.fields).toContainEqual(expect.objectContaining({ name: "time", kind: "time" }));
    expect(f.stages).toContain("leases");
    expect(f.operators).toContain("^=");
  });

  test.each([
    ["ip ", undefined, ["=", "!=", "^=", "~", "<", "<=", ">", ">=", "in"], 3],
    ["ip = 1 | cou", undefined, ["count"], 9],
    ["pa = x", 2, ["path"], 0],
  ])("complete %j at %s", async (text, pos, candidates, from) => {
    const res = (await (
      await get(
        server,
        `/api/v1/complete?q=${encodeURIComponent(text)}${pos === undefined ? "" : `&pos=${pos}`}`,
      )
    ).json()) as { candidates: string[]; from: number };
    expect(res.candidates).toEqual(expect.arrayContaining(candidates));
    expect(res.from).toBe(from);
  });

  it("hash: the audit HMAC (HMAC-SHA256 with the salt), checked independently", async () => {
    const res = await post(server, "/api/v1/hash", { plaintexts: ["s3cret", "other"] });
    const hmac = (s: string) => `hmac-sha256:${createHmac("sha256", SALT).update(s).digest("hex")}`;
    expect(await res.json()).toEqual({ hashes: [hmac("s3cret"), hmac("other")] });
    expect((await post(server, "/api/v1/hash", { plaintexts: [] })).status).toBe(400);
    expect((await post(server, "/api/v1/hash", { plaintexts: [1] })).status).toBe(400);
  });

  it("openapi.json describes every endpoint the server answers", async () => {
    const doc = (await (await get(server, "/api/v1/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of [
      "query",
      "explain",
      "timeline",
      "leases",
      "revoke",
      "stats",
      "fields",
      "complete",
      "hash",
      "server",
      "openapi.json",
    ]) {
      expect(Object.keys(doc.paths)).toContain(`/api/v1/${p}`);
    }
  });

  it("an unknown endpoint is a JSON 404; bad JSON is a 400", async () => {
    const res = await get(server, "/api/v1/nope");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /no such endpoint/,
    );
    const bad = await fetch(new URL("/api/v1/query", server.url), {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
  });

  it("revoke is off without --allow-revoke: 403, nothing run", async () => {
    const res = await post(server, "/api/v1/revoke", { q: "ip = 10.0.0.5", dryRun: true });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string; hint: string } }).error.hint).toMatch(
      /--allow-revoke/,
    );
  });

  it("keeps page files inside the web directory", async () => {
    const res = await get(server, "/..%2f..%2fpackage.json");
    expect([401, 404]).toContain(res.status);
    expect(await res.text()).not.toContain('"name": "breakglass"');
  });
});
