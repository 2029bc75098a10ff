// A small audit log with known answers for the serve tests, and a client for the API over real
// HTTP (fetch against a server listening on a free loopback port).
// The log: request/response pairs one second apart from 2026-01-01T00:00:00Z; 10.0.0.5 gets
// three database leases (the last in namespace team-a/), 10.0.0.6 two, and `filler` pairs from
// other addresses read a KV secret (with `padBytes` of padding in each response, to make a
// large answer for the cancellation test).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { indexFiles } from "../../src/ingest/index-files.js";
import {
  startServer,
  type RunningServer,
  type ServeOptions,
} from "../../src/serve/start-server.js";

export const START_MS = Date.parse("2026-01-01T00:00:00Z");
export const SALT = "serve-test-salt";
export const TOKEN = "serve-test-token-0123456789abcdef";

export interface Call {
  readonly ip: string;
  readonly path: string;
  readonly lease?: string;
  readonly namespace?: string;
}

export const LEASE_CALLS: readonly Call[] = [
  { ip: "10.0.0.5", path: "database/creds/app", lease: "database/creds/app/L1" },
  { ip: "10.0.0.5", path: "database/creds/app", lease: "database/creds/app/L2" },
  {
    ip: "10.0.0.5",
    path: "database/creds/app",
    lease: "database/creds/app/L3",
    namespace: "team-a/",
  },
  { ip: "10.0.0.6", path: "database/creds/app", lease: "database/creds/app/M1" },
  { ip: "10.0.0.6", path: "database/creds/app", lease: "database/creds/app/M2" },
];

export function fillerCalls(n: number): Call[] {
  return Array.from({ length: n }, (_, i) => ({
    ip: `10.9.${(i >> 8) & 255}.${i & 255}`,
    path: "secret/data/filler",
  }));
}

/** The lines of `calls` (a request and a response each), the first at `startMs`. */
export function auditLines(calls: readonly Call[], startMs = START_MS, padBytes = 0): string[] {
  const lines: string[] = [];
  calls.forEach((c, i) => {
    const time = new Date(startMs + i * 1000).toISOString();
    const request = {
      id: `req-${startMs}-${i}`,
      operation: c.lease ? "update" : "read",
      path: c.path,
      remote_address: c.ip,
      ...(c.namespace ? { namespace: { id: "ns1", path: c.namespace } } : {}),
    };
    lines.push(JSON.stringify({ time, type: "request", request }));
    const response: Record<string, unknown> = c.lease
      ? { secret: { lease_id: c.lease } }
      : { data: { pad: "x".repeat(padBytes) } };
    lines.push(JSON.stringify({ time, type: "response", request, response }));
  });
  return lines;
}

/** Writes the lines to DIR/NAME and indexes them into DB (created when missing). */
export async function indexLines(db: string, dir: string, name: string, lines: readonly string[]) {
  const file = path.join(dir, name);
  writeFileSync(file, lines.join("\n") + "\n");
  await indexFiles(db, [file], { workers: 1 });
  return file;
}

export async function serveForTest(
  db: string,
  opts: Partial<ServeOptions> = {},
): Promise<RunningServer> {
  return startServer({
    dbDir: db,
    listen: "127.0.0.1:0",
    token: TOKEN,
    allowRevoke: false,
    hash: { salt: SALT },
    ...opts,
  });
}

export function authed(headers: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${TOKEN}`, ...headers };
}

/** GET `pathAndQuery` with the token (and more headers). */
export function get(
  server: RunningServer,
  pathAndQuery: string,
  headers: Record<string, string> = {},
) {
  return fetch(new URL(pathAndQuery, server.url), { headers: authed(headers), redirect: "manual" });
}

export function post(
  server: RunningServer,
  p: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return fetch(new URL(p, server.url), {
    method: "POST",
    headers: authed({ "content-type": "application/json", ...headers }),
    body: JSON.stringify(body),
  });
}

export function q(text: string, extra = ""): string {
  return `/api/v1/query?q=${encodeURIComponent(text)}${extra}`;
}

/** An NDJSON body as its lines (without the empty one after the last newline). */
export async function ndjsonLines(res: Response): Promise<string[]> {
  const text = await res.text();
  return text.split("\n").filter((l) => l !== "");
}
