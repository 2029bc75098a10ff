// Alerts through the built bin: `listen --alert … --on-alert CMD --webhook URL` prints one NDJSON
// line per alert on stdout, runs the command with the alert on stdin and POSTs it to a local
// webhook; a burst of matching entries fires once per rule/key window.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { expect, test } from "vitest";
import { auditHmac } from "../../src/audit/audit-hmac.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { entryLine, indexedIds, sendLines, startListen, waitFor } from "./live-helpers.js";

const tempDir = tempDirs("bg-alerts-");
const SALT = "listen-alert-salt";

test("SPEC's scenarios fire once each over a live socket, to stdout, a command and a webhook", async () => {
  const dir = tempDir();
  const db = path.join(dir, "db");
  const hookOut = path.join(dir, "hook.ndjson");
  const posts: string[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString("utf8")));
    req.on("end", () => {
      posts.push(body);
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const leaked = "74fba557-0000-1111-2222-333344445555";
  try {
    const l = await startListen(
      db,
      [
        "--tcp",
        "127.0.0.1:0",
        "--alert",
        'unwrap=path = "sys/wrapping/unwrap" and error ~ "not valid" | count by ip > 5 within 1m',
        "--alert",
        "watched=ip in 10.103.0.0/16",
        "--alert",
        `leak=hmac = hash("${leaked}")`,
        "--on-alert",
        `cat >> '${hookOut}'`,
        "--webhook",
        `http://127.0.0.1:${port}/alerts`,
      ],
      { BREAKGLASS_AUDIT_SALT: SALT },
    );
    const t = Date.now();
    const at = (i: number): string => new Date(t + i * 10).toISOString();
    const lines = [
      ...Array.from({ length: 50 }, (_, i) =>
        entryLine(`u${i}`, {
          time: at(i),
          ip: "192.0.2.9",
          path: "sys/wrapping/unwrap",
          error: "wrapping token is not valid or does not exist",
        }),
      ),
      ...Array.from({ length: 300 }, (_, i) =>
        entryLine(`w${i}`, { time: at(i), ip: `10.103.9.${i % 200}` }),
      ),
      JSON.stringify({
        time: at(400),
        type: "response",
        request: { id: "leak1", path: "secret/data/app", remote_address: "192.0.2.50" },
        response: { data: { password: auditHmac(SALT, leaked) } },
      }),
      ...Array.from({ length: 100 }, (_, i) => entryLine(`n${i}`, { time: at(500 + i) })),
    ];
    await Promise.all([
      sendLines({ port: l.tcpPort! }, lines.slice(0, 200)),
      sendLines({ port: l.tcpPort! }, lines.slice(200)),
    ]);
    await waitFor("all indexed", async () => (await indexedIds(db)).length === lines.length);
    await waitFor("three alerts", () => l.stdout.split("\n").filter(Boolean).length >= 3);
    l.proc.kill("SIGTERM");
    expect(await l.exited).toBe(0);
    const alerts = l.stdout
      .split("\n")
      .filter(Boolean)
      .map((x) => JSON.parse(x));
    expect(alerts.map((a) => a.alert).sort()).toEqual(["leak", "unwrap", "watched"]);
    expect(alerts.find((a) => a.alert === "unwrap")).toMatchObject({ key: "192.0.2.9", count: 6 });
    expect(alerts.find((a) => a.alert === "leak").entry.request.id).toBe("leak1");
    const hooked = fs.readFileSync(hookOut, "utf8").split("\n").filter(Boolean);
    expect(hooked.map((x) => JSON.parse(x).alert).sort()).toEqual(["leak", "unwrap", "watched"]);
    expect(posts.map((x) => JSON.parse(x).alert).sort()).toEqual(["leak", "unwrap", "watched"]);
    expect(l.stderr).toMatch(/3 alerts/);
  } finally {
    server.close();
  }
});

test("a bad rule exits 2 with a caret, before listening", async () => {
  const { runBin } = await import("./live-helpers.js");
  const r = runBin([
    "listen",
    "--db",
    path.join(tempDir(), "db"),
    "--tcp",
    "127.0.0.1:0",
    "--alert",
    "x=op = read | count by ip > 5 whenever",
  ]);
  expect(await r.exited).toBe(2);
  expect(r.stderr).toMatch(/expected a threshold/);
  expect(r.stderr).toContain("^");
});

test("a rule whose regex backtracks exponentially in RegExp neither stalls indexing nor misfires", async () => {
  // Issue #15: `path ~ "(a+)+$"` over one `secret/aaaa…a!` froze live indexing (the spool
  // stopped draining, kill -9 needed). Entries after it must become queryable, and the rules
  // must still answer right: the bomb ends in `!`, so only `bang` fires on it.
  const db = path.join(tempDir(), "db");
  const l = await startListen(db, [
    "--tcp",
    "127.0.0.1:0",
    "--alert",
    'redos=path ~ "(a+)+$"',
    "--alert",
    'bang=path ~ "^secret/(a+)+!$"',
  ]);
  try {
    const lines = [
      entryLine("bomb", { path: `secret/${"a".repeat(50_000)}!` }),
      ...Array.from({ length: 20 }, (_, i) => entryLine(`after${i}`)),
    ];
    await sendLines({ port: l.tcpPort! }, lines);
    await waitFor("entries after the bomb indexed", async () => {
      const ids = await indexedIds(db);
      return ids.length === lines.length && ids.at(-1) === "after19";
    });
    await waitFor("the bang alert", () => l.stdout.includes('"alert":"bang"'));
    l.proc.kill("SIGTERM");
    expect(await l.exited).toBe(0);
    const alerts = l.stdout
      .split("\n")
      .filter(Boolean)
      .map((x) => JSON.parse(x) as { alert: string; entry: { request: { id: string } } });
    expect(alerts.map((a) => [a.alert, a.entry.request.id])).toEqual([["bang", "bomb"]]);
  } finally {
    l.proc.kill("SIGKILL");
  }
});

test("--salt-file gives hash() in rules its salt, kept out of argv", async () => {
  const dir = tempDir();
  const saltFile = path.join(dir, "salt");
  fs.writeFileSync(saltFile, `${SALT}\n`, { mode: 0o600 });
  const leaked = "s3cret-password-from-a-paste";
  const l = await startListen(path.join(dir, "db"), [
    "--tcp",
    "127.0.0.1:0",
    "--salt-file",
    saltFile,
    "--alert",
    `leak=hmac = hash("${leaked}")`,
  ]);
  try {
    const leak = JSON.stringify({
      type: "response",
      request: { id: "leak2", path: "secret/data/app", remote_address: "192.0.2.51" },
      response: { data: { password: auditHmac(SALT, leaked) } },
    });
    await sendLines({ port: l.tcpPort! }, [entryLine("before"), leak, entryLine("after")]);
    await waitFor("the leak alert", () => l.stdout.includes('"leak2"'));
    expect(l.proc.spawnargs.join(" ")).not.toContain(SALT);
  } finally {
    l.proc.kill("SIGTERM");
    expect(await l.exited).toBe(0);
  }
  const alerts = l.stdout.split("\n").filter(Boolean);
  expect(alerts.map((x) => JSON.parse(x).alert)).toEqual(["leak"]);
});
