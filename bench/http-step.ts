// How fast does `breakglass serve` answer over HTTP? The built bin serves the index in its own
// process (as a user runs it); this process is the client (fetch, keep-alive). Two parts:
// - latency: `ip = X | leases` for sampled IPs, one request at a time, the whole answer read
//   (p50 / p99 of the request time), after a warm-up;
// - load: 50 clients at once, each sending its share of `ip = X | leases` and `ip = X`
//   (limit 100) requests; every answer must be a 200 whose trailer has no error (errors counted,
//   not thrown), with p50 / p99 under load.
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { percentile } from "./measure.js";
import type { SampledValues } from "./sample-values.js";
import type { TempDirs } from "./temp-dirs.js";

export interface HttpResult {
  readonly leasesQuery: string;
  readonly latencyMs: readonly number[];
  readonly clients: number;
  readonly loadRequests: number;
  readonly loadErrors: number;
  readonly firstError: string | undefined;
  readonly loadMs: readonly number[];
  readonly loadWallMs: number;
}

const WARMUP_REQUESTS = 20;
export const HTTP_CLIENTS = 50;
const TOKEN = "bench-http-token-0123456789abcdef";

async function startServe(
  bin: string,
  db: string,
  temp: TempDirs,
): Promise<{ child: ChildProcess; url: string }> {
  const tokenFile = path.join(temp.make("http-token"), "token");
  writeFileSync(tokenFile, TOKEN + "\n", { mode: 0o600 });
  const child = spawn(
    process.execPath,
    [bin, "serve", "--db", db, "--listen", "127.0.0.1:0", "--token-file", tokenFile],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (c: Buffer) => {
      stderr += c.toString();
      const m = /open (\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return { child, url };
}

/** One query over HTTP, the whole answer read; undefined when it was fine, else what went wrong. */
async function ask(base: string, text: string, extra = ""): Promise<string | undefined> {
  const res = await fetch(`${base}api/v1/query?q=${encodeURIComponent(text)}${extra}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  const body = await res.text();
  if (res.status !== 200) return `${res.status}: ${body.slice(0, 200)}`;
  const last = body.trimEnd().split("\n").pop() ?? "";
  if (!last.startsWith('{"@breakglass":') || last.includes('"error"'))
    return `bad trailer: ${last.slice(0, 200)}`;
  return undefined;
}

export async function measureHttp(
  bin: string,
  db: string,
  values: SampledValues,
  iterations: number,
  temp: TempDirs,
): Promise<HttpResult> {
  if (values.ip.length === 0) throw new Error("no IPs sampled for the HTTP step");
  const { child, url } = await startServe(bin, db, temp);
  try {
    const leases = values.ip.map((ip) => `ip = ${JSON.stringify(ip)} | leases`);
    for (let i = 0; i < WARMUP_REQUESTS; i++) await ask(url, leases[i % leases.length]!);
    const latencyMs: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t0 = performance.now();
      const err = await ask(url, leases[i % leases.length]!);
      latencyMs.push(performance.now() - t0);
      if (err) throw new Error(`HTTP query failed: ${err}`);
    }

    const perClient = Math.max(2, Math.ceil(iterations / HTTP_CLIENTS));
    const loadMs: number[] = [];
    let loadErrors = 0;
    let firstError: string | undefined;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: HTTP_CLIENTS }, async (_, c) => {
        for (let i = 0; i < perClient; i++) {
          const ip = values.ip[(c * perClient + i) % values.ip.length]!;
          const [text, extra] =
            i % 2 === 0
              ? [`ip = ${JSON.stringify(ip)} | leases`, ""]
              : [`ip = ${JSON.stringify(ip)}`, "&limit=100"];
          const start = performance.now();
          let err: string | undefined;
          try {
            err = await ask(url, text, extra);
          } catch (e) {
            err = (e as Error).message;
          }
          loadMs.push(performance.now() - start);
          if (err) {
            loadErrors++;
            firstError ??= err;
          }
        }
      }),
    );
    return {
      leasesQuery: leases[0]!,
      latencyMs,
      clients: HTTP_CLIENTS,
      loadRequests: HTTP_CLIENTS * perClient,
      loadErrors,
      firstError,
      loadMs,
      loadWallMs: performance.now() - t0,
    };
  } finally {
    child.kill("SIGTERM");
  }
}

/** p50 and p99 of a series, for the report. */
export function p50p99(samples: readonly number[]): [number, number] {
  return [percentile(samples, 50), percentile(samples, 99)];
}
