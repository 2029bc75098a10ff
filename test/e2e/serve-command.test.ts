// `breakglass serve` as an operator runs it (the built bin): the start URL with its token on
// stderr, answers that include what a concurrent `breakglass index` commits, the refusal of a
// non-loopback address without TLS (exit 2), HTTPS with --tls-cert/--tls-key, --token-file, and
// the token nowhere in the output but the start URL.
import { execFileSync, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import https from "node:https";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, finishBin, runBin, startBin, type BinResult } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { auditLines, fillerCalls, LEASE_CALLS } from "../serve/serve-fixture.js";

const tempDir = tempDirs("bg-e2e-serve-");
let db: string;
let logDir: string;
const FIRST = auditLines([...LEASE_CALLS, ...fillerCalls(40)]);
const SECOND = auditLines(fillerCalls(25), Date.parse("2026-02-01T00:00:00Z"));
const running: ChildProcess[] = [];

beforeAll(async () => {
  await ensureBuilt();
  db = tempDir();
  logDir = tempDir();
  writeFileSync(path.join(logDir, "first.log"), FIRST.join("\n") + "\n");
  const r = await runBin(["index", "--db", db, path.join(logDir, "first.log")], {});
  expect(r.code).toBe(0);
}, 60_000);

afterEach(() => {
  for (const child of running.splice(0)) child.kill("SIGTERM");
});

/** Starts `breakglass serve ARGS` and resolves with the URL it prints (and its output so far). */
async function serve(args: string[], env: Record<string, string> = {}) {
  const child = startBin(["serve", "--db", db, ...args], env);
  running.push(child);
  let stderr = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (c: Buffer) => {
      stderr += c.toString();
      const m = /open (\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

async function count(base: string, token: string, query: string): Promise<number> {
  const res = await fetch(
    new URL(`/api/v1/query?q=${encodeURIComponent(query + " | count")}`, base),
    {
      headers: { authorization: `Bearer ${token}` },
    },
  );
  expect(res.status).toBe(200);
  return (JSON.parse((await res.text()).split("\n")[0]!) as { count: number }).count;
}

describe("breakglass serve", () => {
  it("prints a start URL with a fresh token; answers include what `index` commits meanwhile", async () => {
    const { child, url, stderr } = await serve(["--listen", "127.0.0.1:0"]);
    const m = /^http:\/\/127\.0\.0\.1:\d+\/\?token=([A-Za-z0-9_-]{40,})$/.exec(url);
    expect(m).not.toBeNull();
    const token = m![1]!;
    expect(await count(url, token, "*")).toBe(FIRST.length);
    writeFileSync(path.join(logDir, "second.log"), SECOND.join("\n") + "\n");
    const added = await runBin(["index", "--db", db, path.join(logDir, "second.log")], {});
    expect(added.code).toBe(0);
    expect(await count(url, token, "*")).toBe(FIRST.length + SECOND.length);
    expect(await count(url, token, "time >= 2026-02-01")).toBe(SECOND.length);
    child.kill("SIGTERM");
    const done: BinResult = await finishBin(child);
    expect(done.code).toBe(0);
    // The token is printed once, in the start URL, and nowhere else.
    expect(stderr().split(token).length - 1).toBe(1);
    expect(done.stdout).not.toContain(token);
  }, 60_000);

  it("the CLI takes relative times too (`time < now`, `time > now-1h`)", async () => {
    const all = await runBin(["query", "--db", db, "time < now | count"], {});
    expect(all.code).toBe(0);
    expect(Number(all.stdout.trim())).toBeGreaterThanOrEqual(FIRST.length);
    const recent = await runBin(["query", "--db", db, "time > now-1h | count"], {});
    expect(recent.stdout.trim()).toBe("0");
    const bad = await runBin(["query", "--db", db, "time > now-1y | count"], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/now-1h/);
  });

  it("refuses a non-loopback address without TLS: exit 2, says what to do", async () => {
    const r = await runBin(["serve", "--db", db, "--listen", "0.0.0.0:0"], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a loopback address.*--tls-cert and --tls-key/);
    const half = await runBin(["serve", "--db", db, "--tls-cert", "x.pem"], {});
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/--tls-cert and --tls-key go together/);
  });

  it("refuses a bad --listen and a missing index with their exit codes", async () => {
    const bad = await runBin(["serve", "--db", db, "--listen", "nowhere"], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not HOST:PORT/);
    const missing = await runBin(
      ["serve", "--db", path.join(tempDir(), "none"), "--listen", "127.0.0.1:0"],
      {},
    );
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/no index/);
  });

  it("takes the token from --token-file (and refuses a short one)", async () => {
    const file = path.join(tempDir(), "token");
    writeFileSync(file, "short\n");
    const r = await runBin(
      ["serve", "--db", db, "--listen", "127.0.0.1:0", "--token-file", file],
      {},
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/at least 16 characters/);
    const token = "a-token-from-a-file-0123456789";
    writeFileSync(file, token + "\n");
    const { url } = await serve(["--listen", "127.0.0.1:0", "--token-file", file]);
    expect(url).not.toContain(token);
    expect(await count(url, token, "ip = 10.0.0.5")).toBe(6);
  }, 30_000);

  it("serves HTTPS on a non-loopback address with --tls-cert and --tls-key", async (ctx) => {
    try {
      execFileSync("openssl", ["version"], { stdio: "ignore" });
    } catch {
      console.warn("NOTICE: openssl not found: the serve-over-HTTPS test is skipped");
      ctx.skip();
    }
    const dir = tempDir();
    const key = path.join(dir, "key.pem");
    const cert = path.join(dir, "cert.pem");
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
        cert,
        "-subj",
        "/CN=localhost",
      ],
      { stdio: "ignore" },
    );
    const { url } = await serve([
      "--listen",
      "0.0.0.0:0",
      "--tls-cert",
      cert,
      "--tls-key",
      key,
      "--host-name",
      "localhost",
    ]);
    const m = /^https:\/\/localhost:(\d+)\/\?token=(\S+)$/.exec(url);
    expect(m).not.toBeNull();
    const [, port, token] = m!;
    const status = await new Promise<{ code: number; cookie: string | undefined }>(
      (resolve, reject) => {
        https
          .get(
            {
              host: "127.0.0.1",
              port,
              path: `/?token=${token}`,
              headers: { host: `localhost:${port}` },
              rejectUnauthorized: false,
            },
            (res) => {
              res.resume();
              resolve({ code: res.statusCode ?? 0, cookie: res.headers["set-cookie"]?.[0] });
            },
          )
          .on("error", reject);
      },
    );
    expect(status.code).toBe(303);
    expect(status.cookie).toMatch(/; Secure/);
  }, 30_000);
});
