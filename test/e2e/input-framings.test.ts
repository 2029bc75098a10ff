// `--input` through the built bin: `index --input X` for every value reads a log framed that way
// (and `auto` detects each); a value that is no framing exits 2 and names the choices; `index
// --follow --input` indexes lines appended while it runs; `listen --input syslog` indexes
// syslog-framed lines a socket device sends. JSONx records are kept as written and print as their
// entry's JSON (as every framed record does).
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { recordEntry } from "../../src/audit/framing/record-json.js";
import { openIndex } from "../../src/index-api.js";
import { jsonxLine } from "../helpers/jsonx-encode.js";
import { ensureBuilt, runBin } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  entryLine,
  runBin as startBin,
  sendLines,
  startListen,
  waitFor,
} from "../live/live-helpers.js";

const tempDir = tempDirs("bg-input-framings-");

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

const ENTRIES = ["r1", "r2", "r3"].map((id) => entryLine(id, { pad: 40 }));

/** Each --input value, and the log it reads (three entries framed that way). */
const LOGS: Record<string, (lines: string[]) => string[]> = {
  auto: (ls) => ls.map((l, i) => (i === 1 ? `<13>Nov 29 10:00:00 vault-0 vault[1]: ${l}` : l)),
  json: (ls) => ls,
  syslog: (ls) => ls.map((l) => `Nov 29 10:00:00 vault-0 vault[1234]: ${l}`),
  docker: (ls) => ls.map((l) => JSON.stringify({ log: l + "\n", stream: "stdout", time: "t" })),
  cri: (ls) => ls.map((l) => `2026-11-29T10:00:00.1Z stdout F ${l}`),
  jsonx: (ls) => ls.map((l) => jsonxLine(l)),
};

async function requestIds(db: string): Promise<string[]> {
  let ix;
  try {
    ix = openIndex(db);
  } catch {
    return [];
  }
  try {
    return Array.from(
      { length: ix.recordCount },
      (_, i) => recordEntry<{ request: { id: string } }>(ix.line(i)).request.id,
    );
  } finally {
    await ix.close();
  }
}

describe("index --input", () => {
  test.each(Object.keys(LOGS))("--input %s reads its framing", async (input) => {
    const dir = tempDir();
    const log = path.join(dir, "audit.log");
    const db = path.join(dir, "db");
    fs.writeFileSync(log, LOGS[input]!(ENTRIES).join("\n") + "\n");
    const r = await runBin(["index", "--input", input, "--json", "--db", db, log], {});
    expect(r.stderr).not.toMatch(/audit\.log:\d+: /); // no bad line reported
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ records: 3, badLines: 0 });
    const q = await runBin(["query", "--db", db, "op = update | count"], {});
    expect(q.stdout.trim()).toBe(String(ENTRIES.length));
    expect(await requestIds(db)).toEqual(["r1", "r2", "r3"]);
  });

  test("a JSONx log is detected, kept as written, and printed as its entry's JSON", async () => {
    const dir = tempDir();
    const log = path.join(dir, "audit.log");
    const db = path.join(dir, "db");
    const xml = ENTRIES.map((l) => jsonxLine(l));
    fs.writeFileSync(log, xml.join("\n") + "\n");
    expect((await runBin(["index", "--db", db, log], {})).code).toBe(0);
    const nd = await runBin(["query", "--db", db, "request_id = r2"], {});
    expect(JSON.parse(nd.stdout)).toEqual(JSON.parse(ENTRIES[1]!));
    const js = await runBin(["query", "--db", db, "--format", "json", "request_id = r2"], {});
    expect(JSON.parse(js.stdout)).toEqual([JSON.parse(ENTRIES[1]!)]);
    const ix = openIndex(db);
    try {
      expect(ix.line(1).toString("utf8")).toBe(xml[1]);
    } finally {
      await ix.close();
    }
  });

  test("a framing forced with --input reads only that framing", async () => {
    const dir = tempDir();
    const log = path.join(dir, "audit.log");
    const db = path.join(dir, "db");
    fs.writeFileSync(log, LOGS.jsonx!(ENTRIES).join("\n") + "\n");
    const r = await runBin(["index", "--input", "syslog", "--json", "--db", db, log], {});
    expect(JSON.parse(r.stdout)).toMatchObject({ records: 0 });
  });

  test.each([["xml"], ["JSONX"], [""]])("--input %j exits 2 and names the choices", async (v) => {
    const dir = tempDir();
    const log = path.join(dir, "audit.log");
    fs.writeFileSync(log, ENTRIES.join("\n") + "\n");
    const r = await runBin(["index", "--input", v, "--db", path.join(dir, "db"), log], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("expected one of auto, json, syslog, docker, cri, jsonx");
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe("--input on live indexing", () => {
  test("index --follow --input syslog indexes the lines appended while it runs", async () => {
    const dir = tempDir();
    const log = path.join(dir, "audit.log");
    const db = path.join(dir, "db");
    const frame = LOGS.syslog!;
    fs.writeFileSync(log, frame(ENTRIES.slice(0, 1)).join("\n") + "\n");
    const r = startBin(["index", "--follow", "--input", "syslog", "--db", db, log]);
    try {
      await waitFor("the first line", async () => (await requestIds(db)).length === 1, 30_000);
      fs.appendFileSync(log, frame(ENTRIES.slice(1)).join("\n") + "\n");
      await waitFor("appended lines", async () => (await requestIds(db)).length === 3, 30_000);
    } finally {
      r.proc.kill("SIGTERM");
    }
    expect(await r.exited).toBe(0);
    expect(await requestIds(db)).toEqual(["r1", "r2", "r3"]);
    expect(r.stderr).not.toMatch(/audit\.log:\d+: /);
  });

  test("index --follow --input jsonx indexes JSONx lines", async () => {
    const dir = tempDir();
    const log = path.join(dir, "audit.log");
    const db = path.join(dir, "db");
    fs.writeFileSync(log, "");
    const r = startBin(["index", "--follow", "--input", "jsonx", "--db", db, log]);
    try {
      fs.appendFileSync(log, LOGS.jsonx!(ENTRIES).join("\n") + "\n");
      await waitFor("the lines", async () => (await requestIds(db)).length === 3, 30_000);
    } finally {
      r.proc.kill("SIGTERM");
    }
    expect(await r.exited).toBe(0);
  });

  test("listen --input syslog: a socket device's syslog-framed lines are indexed", async () => {
    const dir = tempDir();
    const db = path.join(dir, "db");
    const sock = path.join(dir, "vault.sock");
    const l = await startListen(db, ["--unix", sock, "--input", "syslog"]);
    try {
      const framed = [
        `<13>Nov 29 10:00:00 vault-0 vault[1234]: ${ENTRIES[0]}`,
        `<165>1 2026-11-29T10:00:00.123Z vault-0 vault 1234 - - ${ENTRIES[1]}`,
        `Nov 29 10:00:00 vault-0 vault: ${ENTRIES[2]}`,
      ];
      await sendLines({ path: sock }, framed, 50);
      await waitFor("the entries", async () => (await requestIds(db)).length === 3, 30_000);
    } finally {
      l.proc.kill("SIGTERM");
    }
    expect(await l.exited).toBe(0);
    expect(await requestIds(db)).toEqual(["r1", "r2", "r3"]);
  });

  test("listen --input with a wrong value exits 2", async () => {
    const dir = tempDir();
    const r = await runBin(
      ["listen", "--db", path.join(dir, "db"), "--unix", path.join(dir, "s"), "--input", "xml"],
      {},
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("expected one of auto, json, syslog, docker, cri, jsonx");
  });
});
