// `breakglass compare A B` as an operator runs it: the built bin, real files and indexes, exit
// codes (0 agree, 1 disagree, 2 usage, 3 unreadable input), findings as NDJSON (or a table) on
// stdout, the summary on stderr.
import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { ensureBuilt, runBin } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { twoDeviceLog } from "../helpers/two-device-log.js";

const tempDir = tempDirs("bg-e2e-compare-");

beforeAll(ensureBuilt, 120_000);

interface Devices {
  a: string;
  b: string;
}

/** Device A with one line deleted (line 41) and line 81's path edited; B unchanged. */
function tampered(): Devices {
  const log = twoDeviceLog({ requests: 120, times: "same", seed: 5 });
  const a = [...log.a];
  const entry = JSON.parse(a[81]!) as { request: { path: string } };
  entry.request.path = "sys/raw/core";
  a[81] = JSON.stringify(entry);
  a.splice(40, 1);
  return write(a, log.b);
}

function write(a: readonly string[], b: readonly string[]): Devices {
  const dir = tempDir();
  mkdirSync(path.join(dir, "a"));
  mkdirSync(path.join(dir, "b"));
  const fa = path.join(dir, "a", "audit.log");
  const fb = path.join(dir, "b", "audit.log");
  writeFileSync(fa, a.join("\n") + "\n");
  writeFileSync(fb, b.join("\n") + "\n");
  return { a: fa, b: fb };
}

const env = (): Record<string, string> => ({ HOME: tempDir() });

function ndjson(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("breakglass compare", () => {
  test("two devices that agree: exit 0, nothing on stdout, 'agree' on stderr", async () => {
    const log = twoDeviceLog({ requests: 120, times: "nearest", seed: 5 });
    const d = write(log.a, log.b);
    const r = await runBin(["compare", d.a, d.b], env());
    expect(r.stderr).toMatch(/the devices agree/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
  });

  test("devices that disagree: exit 1, one NDJSON finding a line, a summary on stderr", async () => {
    const d = tampered();
    const r = await runBin(["compare", d.a, d.b], env());
    expect(r.code).toBe(1);
    const found = ndjson(r.stdout);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "only-b", b: { file: d.b, line: 41 } }),
        expect.objectContaining({
          kind: "field",
          field: "request.path",
          a: expect.objectContaining({ file: d.a, line: 81, value: "sys/raw/core" }),
        }),
      ]),
    );
    expect(found).toHaveLength(2);
    expect(r.stderr).toMatch(/disagree: 2 findings \(.*field 1.*\)/);
  });

  test("--format table prints a header and one row a finding", async () => {
    const d = tampered();
    const r = await runBin(["compare", "--format", "table", d.a, d.b], env());
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^KIND\s+TIME\s+WHERE\s+WHAT$/);
    expect(
      lines
        .slice(1)
        .map((l) => l.split(/\s+/)[0])
        .sort(),
    ).toEqual(["field", "only-b"]);
    expect(r.stdout).toContain(`${d.a}:81`);
  });

  test("--db-a and --db-b compare two indexes, and an index with files", async () => {
    const d = tampered();
    const dbA = path.join(tempDir(), "a.db");
    const dbB = path.join(tempDir(), "b.db");
    expect((await runBin(["index", "--db", dbA, d.a], env())).code).toBe(0);
    expect((await runBin(["index", "--db", dbB, d.b], env())).code).toBe(0);
    const both = await runBin(["compare", "--db-a", dbA, "--db-b", dbB], env());
    expect(both.code).toBe(1);
    const found = ndjson(both.stdout);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "only-b", b: { file: d.b, record: 41 } }),
        expect.objectContaining({ kind: "field", field: "request.path" }),
      ]),
    );
    expect(found).toHaveLength(2);
    const mixed = await runBin(["compare", "--db-b", dbB, d.b], env());
    expect(mixed.stderr).toMatch(/the devices agree/);
    expect(mixed.code).toBe(0);
  });

  test.each([
    ["one device only", (d: Devices) => ["compare", d.a], 2, /needs two devices/],
    ["three devices", (d: Devices) => ["compare", d.a, d.b, d.b], 2, /needs two devices/],
    ["a bad --gap", (d: Devices) => ["compare", "--gap", "soon", d.a, d.b], 2, /--gap/],
    ["a missing file", (d: Devices) => ["compare", d.a, `${d.b}.missing`], 3, /no such file/],
    ["a missing index", (d: Devices) => ["compare", "--db-a", `${d.a}.db`, d.b], 3, /no index/],
  ])("%s: its exit code and a message, no stack trace", async (_name, args, code, message) => {
    const d = tampered();
    const r = await runBin(args(d), env());
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
