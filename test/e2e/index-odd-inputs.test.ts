// `breakglass index` given what is not a plain readable log, through the built bin: a FIFO,
// /dev/zero and a symlink loop are named for what they are (and never block the run), an
// unreadable directory is reported and the rest indexed, an index found while recursing is
// skipped, and an unreadable index is not "no index". Permission tests drop to `nobody` when run
// as root (root reads a mode-000 directory), with setpriv; without it they are skipped.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { scanLogs } from "../oracle/scan-log.js";
import { BIN, ROOT } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-e2e-odd-");
const NOBODY = 65534;
const IS_ROOT = process.getuid?.() === 0;
const HAS_SETPRIV = spawnSync("setpriv", ["--version"]).status === 0;
/** Permissions can be tested: not root, or root that can become nobody. */
const CAN_DROP = !IS_ROOT || HAS_SETPRIV;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The bin, as nobody when we are root and `unprivileged` is asked for. */
function run(args: readonly string[], opts: { unprivileged?: boolean } = {}): Promise<Run> {
  const argv = [process.execPath, BIN, ...args];
  const drop = opts.unprivileged && IS_ROOT;
  const [cmd, ...rest] = drop
    ? ["setpriv", "--reuid", `${NOBODY}`, "--regid", `${NOBODY}`, "--clear-groups", ...argv]
    : argv;
  const child = spawn(cmd!, rest, { cwd: ROOT, env: { PATH: process.env.PATH ?? "" } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdin.end();
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

function writeLog(file: string, seed: number): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const lines = [...generateAuditLines({ seed, targetBytes: 30_000, salt: "s" })];
  fs.writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

async function statsRecords(db: string, opts: { unprivileged?: boolean } = {}): Promise<number> {
  const r = await run(["stats", "--db", db, "--json"], opts);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { records: number }).records;
}

/** Give a tree to nobody (when we are root) so that its mode bits, not root, decide. */
function giveToNobody(dir: string): void {
  if (!IS_ROOT) return;
  fs.chmodSync(dir, 0o755);
  execFileSync("chown", ["-R", `${NOBODY}:${NOBODY}`, dir]);
}

describe("index of what is not a plain readable log", () => {
  test("a FIFO, /dev/zero and a symlink loop are named for what they are; the good file is indexed; exit 3", async () => {
    const dir = tempDir();
    const fifo = path.join(dir, "vault.fifo");
    execFileSync("mkfifo", [fifo]);
    const loop = path.join(dir, "loop");
    fs.symlinkSync(loop, loop);
    const good = writeLog(path.join(dir, "audit.log"), 1);
    const db = path.join(dir, "db");
    const r = await run(["index", "--db", db, fifo, "/dev/zero", loop, good]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`breakglass: ${fifo}: not a regular file (a FIFO)\n`);
    expect(r.stderr).toContain(`breakglass: /dev/zero: not a regular file (a character device)\n`);
    expect(r.stderr).toContain(`breakglass: ${loop}: too many levels of symbolic links\n`);
    expect(r.stderr).not.toMatch(/no such file|internal error/);
    expect(await statsRecords(db)).toBe(scanLogs([good]).records.length);
  });

  test("a directory holding another index and the --db index indexes only the logs, with notes", async () => {
    const dir = tempDir();
    const logs = [writeLog(path.join(dir, "a.log"), 2), writeLog(path.join(dir, "x", "b.log"), 3)];
    const old = path.join(dir, "old-index");
    expect((await run(["index", "--db", old, logs[0]!])).code).toBe(0);
    const db = path.join(dir, "db");
    expect((await run(["index", "--db", db, logs[1]!])).code).toBe(0);
    const r = await run(["index", "--db", db, "--json", dir]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ badLines: 0 });
    expect(r.stderr).toContain(`note: skipped ${old}: it is a breakglass index, not logs\n`);
    expect(r.stderr).toContain(`note: skipped ${db}: it is a breakglass index, not logs\n`);
    expect(await statsRecords(db)).toBe(scanLogs(logs).records.length);
  });

  test.skipIf(!CAN_DROP)(
    "an unreadable subdirectory is reported like an unreadable file and the rest is indexed; exit 3",
    async () => {
      const dir = tempDir();
      const readable = writeLog(path.join(dir, "logs", "ok", "a.log"), 4);
      writeLog(path.join(dir, "logs", "secret", "b.log"), 5);
      const db = path.join(dir, "db");
      giveToNobody(dir);
      const secret = path.join(dir, "logs", "secret");
      fs.chmodSync(secret, 0o000);
      const r = await run(["index", "--db", db, path.join(dir, "logs")], { unprivileged: true });
      fs.chmodSync(secret, 0o755);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(
        `breakglass: ${secret}: cannot read the directory: permission denied\n`,
      );
      expect(r.stderr).not.toMatch(/internal error|bug/);
      expect(r.stderr).toMatch(/indexed 1 files/);
      expect(await statsRecords(db, { unprivileged: true })).toBe(
        scanLogs([readable]).records.length,
      );
    },
  );

  test.skipIf(!CAN_DROP)(
    "an index directory that cannot be read is reported as such, not as no index; exit 3",
    async () => {
      const dir = tempDir();
      const db = path.join(dir, "db");
      expect((await run(["index", "--db", db, writeLog(path.join(dir, "a.log"), 6)])).code).toBe(0);
      giveToNobody(dir);
      fs.chmodSync(db, 0o000);
      const stats = await run(["stats", "--db", db], { unprivileged: true });
      const query = await run(["query", "--db", db, "* | count"], { unprivileged: true });
      const index = await run(["index", "--db", db, path.join(dir, "a.log")], {
        unprivileged: true,
      });
      fs.chmodSync(db, 0o700);
      for (const r of [stats, query, index]) {
        expect(r.code).toBe(3);
        expect(r.stderr).toContain(
          `breakglass: cannot read the index at ${db}: permission denied\n`,
        );
        expect(r.stderr).not.toMatch(/no index/);
      }
    },
  );
});
