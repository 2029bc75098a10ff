// `breakglass shell` as an operator runs it, through the built bin (dist/src/cli/main.js): piped
// stdin answers exactly as one-shot `breakglass query` runs do, a bad query prints the caret and
// the session goes on (exit 2 at the end), history is written 0600; on a pseudo-terminal from
// script(1), Tab completes a field name and \q (or Ctrl-D) quits with 0.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { writeAuditLog, type PlantedIncidents } from "../../src/demo/generate-log.js";
import { tempDirs } from "../helpers/temp-dir.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const BIN = path.join(ROOT, "dist/src/cli/main.js");
const SALT = "shell-test-salt";
const tempDir = tempDirs("bg-shell-");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: readonly string[], input = ""): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: tempDir() },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

let db = "";
let planted: PlantedIncidents;

beforeAll(async () => {
  if (!existsSync(BIN)) {
    const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
    await new Promise((resolve) =>
      spawn(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: ROOT }).on("close", resolve),
    );
  }
  const dir = tempDir();
  const log = path.join(dir, "audit.log");
  const made = await writeAuditLog(log, { seed: 11, targetBytes: 200_000, salt: SALT });
  planted = made.planted!;
  db = path.join(dir, "db");
  const indexed = await run(["index", "--db", db, log]);
  expect(indexed.code).toBe(0);
}, 120_000);

/** The same query run once by `breakglass query`: its stdout. */
async function oneShot(query: string, format?: string): Promise<string> {
  const r = await run([
    "query",
    "--db",
    db,
    "--salt",
    SALT,
    ...(format ? ["--format", format] : []),
    query,
  ]);
  expect(r.code).toBe(0);
  return r.stdout;
}

describe("breakglass shell with stdin piped", () => {
  test("answers each line exactly as one-shot `breakglass query` does, in the current format", async () => {
    const ip = planted.compromisedIp;
    const queries = [
      `ip = ${ip} | leases`,
      `ip = ${ip}`,
      `ip in 10.0.0.0/8 | count by path`,
      `hmac = hash("${planted.leakedPassword}") | leases`,
      `token in (ip = ${ip} | distinct token) | leases`,
      `path ^= secret/ | fields time, ip, path`,
    ];
    const expected = await Promise.all([
      ...queries.map((q) => oneShot(q)),
      ...queries.slice(0, 3).map((q) => oneShot(q, "json")),
      oneShot(`ip = ${ip} | count`, "table"),
    ]);

    const script = [
      ...queries,
      "# a comment, then a blank line",
      "",
      "\\format json",
      ...queries.slice(0, 3),
      "\\format table",
      `ip = ${ip} | count`,
    ];
    const r = await run(["shell", "--db", db, "--salt", SALT], script.join("\n") + "\n");
    expect(r.stderr).not.toMatch(/error|query:/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expected.join(""));
    expect(expected[0]!.trim().split("\n")).toEqual(planted.compromisedIpLeases);
    expect(expected[3]).toBe(planted.leakedPasswordLease + "\n");
    // the time of each query on stderr, never a prompt
    expect(r.stderr.match(/^\(\d+ rows?, \d+(\.\d+)? ms\)$/gm)).toHaveLength(10);
    expect(r.stderr + r.stdout).not.toContain("breakglass>");
  });

  test("a bad query prints the position and a caret, the session goes on, and it exits 2 at the end", async () => {
    const ip = planted.compromisedIp;
    const script = [
      `ip = ${ip} | count`,
      `ip = ${ip} and | count`,
      `nosuchfield = 1`,
      `\\format yaml`,
      `ip = ${ip} | leases`,
    ];
    const r = await run(["shell", "--db", db], script.join("\n"));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe((await oneShot(`ip = ${ip} | count`)) + (await oneShot(script[4]!)));
    expect(r.stderr).toContain(
      `query:1:${ip.length + 11}: expected a predicate like \`ip = 10.0.0.1\`, \`not\`, ` +
        `\`exists FIELD\` or \`(\` after \`and\`, found \`|\`\n` +
        `  ip = ${ip} and | count\n` +
        `  ${" ".repeat(ip.length + 10)}^\n`,
    );
    expect(r.stderr).toMatch(
      /^query:1:1: unknown field `nosuchfield`\n {2}nosuchfield = 1\n {2}\^$/m,
    );
    expect(r.stderr).toMatch(/^error: unknown format yaml/m);
    expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
  });

  test("\\q ends the session there: later lines are not run", async () => {
    const r = await run(["shell", "--db", db], "ip = 1.2.3.4 | count\n\\q\nnot a query\n");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("0\n");
  });

  test("\\explain prints the plan with actual sizes, \\fields and \\stats what they say", async () => {
    const ip = planted.compromisedIp;
    const r = await run(["shell", "--db", db], `\\explain ip = ${ip}\n\\fields\n\\stats\n`);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`ip = "${ip.replace(/\./g, "\\.")}".*actual \\d+`));
    expect(r.stdout).toMatch(/^display_name +text +token display name$/m);
    expect(r.stdout).toMatch(/^session +1 queries, 0 failed, format auto$/m);
  });

  test("keeps the history in the index directory, mode 0600, without hash() plaintexts", async () => {
    const dir = path.dirname(db);
    const copy = path.join(tempDir(), "db");
    // a fresh index so that other tests' sessions do not mix into this history
    const indexed = await run(["index", "--db", copy, path.join(dir, "audit.log")]);
    expect(indexed.code).toBe(0);
    await run(["shell", "--db", copy, "--salt", SALT], "ip = 1.2.3.4\n\\stats\n");
    await run(["shell", "--db", copy, "--salt", SALT], 'hmac = hash("pw") | leases\npath = x\n');
    const file = path.join(copy, "shell-history");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toBe("ip = 1.2.3.4\n\\stats\npath = x\n");
  });

  test("a missing index exits 3 with a hint, before reading any line", async () => {
    const r = await run(["shell", "--db", path.join(tempDir(), "none")], "ip = 1\n");
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^breakglass: no index at .*\nhint: /);
  });
});

describe("breakglass shell on a terminal (a pty from script(1))", () => {
  const hasScript = existsSync("/usr/bin/script");

  /** The shell on a pty; `until(text)` waits for output after everything seen so far. */
  function terminal(dbDir: string) {
    // TERM=dumb would make readline skip completion; xterm gets the full line editor.
    const child = spawn(
      "/usr/bin/script",
      ["-qec", `'${process.execPath}' '${BIN}' shell --db '${dbDir}'`, "/dev/null"],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? "", TERM: "xterm" } },
    );
    let seen = "";
    let mark = 0;
    let waiting: { text: string; resolve: () => void } | undefined;
    const check = () => {
      if (waiting && seen.indexOf(waiting.text, mark) >= 0) {
        mark = seen.indexOf(waiting.text, mark) + waiting.text.length;
        const { resolve } = waiting;
        waiting = undefined;
        resolve();
      }
    };
    child.stdout.on("data", (c: Buffer) => {
      seen += c.toString();
      check();
    });
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    return {
      closed,
      seen: () => seen,
      type: (keys: string) => child.stdin.write(keys),
      until: (text: string) =>
        new Promise<void>((resolve) => {
          waiting = { text, resolve };
          check();
        }),
    };
  }

  test.runIf(hasScript).each([
    ["\\q", "\\q\r"],
    ["Ctrl-D", "\x04"],
  ])(
    "types a query, Tab completes a field name, Ctrl-C says how to quit, %s quits with 0",
    async (_name, quit) => {
      const ip = planted.compromisedIp;
      const expected = await oneShot(`ip = ${ip} | count by path`);
      const t = terminal(db);
      await t.until("breakglass> ");
      t.type(`ip = ${ip} | count by pa`);
      await t.until("count by pa");
      t.type("\t");
      await t.until("th");
      t.type("\r");
      await t.until("ms)");
      await t.until("breakglass> ");
      t.type("\x03");
      await t.until("to quit, type \\q or press Ctrl-D");
      await t.until("breakglass> ");
      t.type(quit);
      expect(await t.closed).toBe(0);
      const screen = t.seen().replace(/\r+\n/g, "\n");
      expect(screen).toContain(`ip = ${ip} | count by path\n` + expected);
      const history = readFileSync(path.join(db, "shell-history"), "utf8");
      expect(history).toContain(`ip = ${ip} | count by path\n`);
    },
  );
});
