// Regular expressions that make a backtracking engine run for ages (issue #15: `path ~ "(a+)+$"`
// over one logged `secret/aaaa…a!` hung for minutes) answer promptly and correctly through the
// built bin, on a dictionary scan (path) and on a dotted path over enough records to go to the
// scan workers; and patterns RE2 cannot run exit 2 with a caret and a hint.
// Each run has a kill timeout, so a regression fails here instead of hanging the suite.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { ensureBuilt, finishBin, startBin, type BinResult } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-e2e-regex-");
/** Far above a linear-time answer (well under a second), far below a backtracking one (hours). */
const KILL_AFTER_MS = 20_000;
/** More than the records a filter scans on the main thread (execute.ts), so scans use workers. */
const FILLER_RECORDS = 9000;
const BOMB = "a".repeat(50_000);

function line(id: string, pathText: string, note: string): string {
  return JSON.stringify({
    time: "2026-11-20T09:00:00Z",
    type: "request",
    request: { id, operation: "read", path: pathText, data: { note } },
  });
}

let db: string;

/** `breakglass ARGS…`, killed if it runs longer than KILL_AFTER_MS. */
async function bin(args: readonly string[]): Promise<BinResult> {
  const child = startBin(args, { HOME: tempDir() });
  const timer = setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS);
  try {
    return await finishBin(child);
  } finally {
    clearTimeout(timer);
  }
}

/** The request ids a query answers, in record order. */
async function ids(query: string): Promise<string[]> {
  const r = await bin(["query", "--db", db, query]);
  expect(r.signal, `killed after ${KILL_AFTER_MS} ms: ${query}`).toBeNull();
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { request: { id: string } }).request.id);
}

beforeAll(async () => {
  await ensureBuilt();
  const dir = tempDir();
  const log = path.join(dir, "audit.log");
  db = path.join(dir, "db");
  const lines = [
    ...Array.from({ length: FILLER_RECORDS / 2 }, (_, i) =>
      line(`f${i}`, `secret/data/app${i % 10}`, `n${i}!`),
    ),
    line("bomb", `secret/${BOMB}!`, `${BOMB}!`),
    line("tame", "secret/aaaa", "aaaa"),
    ...Array.from({ length: FILLER_RECORDS / 2 }, (_, i) =>
      line(`g${i}`, `secret/data/app${i % 10}`, `n${i}!`),
    ),
  ];
  writeFileSync(log, lines.join("\n") + "\n");
  const r = await bin(["index", "--db", db, "--no-progress", log]);
  expect(r.code, r.stderr).toBe(0);
});

describe("a pattern that backtracks exponentially in RegExp answers promptly and right", () => {
  test.each([
    ['path ~ "(a+)+$"', ["tame"]],
    ['path ~ "^secret/(a+)+!$"', ["bomb"]],
    ['path ~ "(a|aa)+$"', ["tame"]],
    ['request.data.note ~ "(a+)+$"', ["tame"]],
    ['request.data.note ~ "^(a+)+!"', ["bomb"]],
  ])("%s", async (query, expected) => {
    expect(await ids(query)).toEqual(expected);
  });

  test("the scan worker path is the one taken for the dotted path", async () => {
    const r = await bin(["query", "--db", db, "--explain", 'request.data.note ~ "(a+)+$" | count']);
    expect(r.signal).toBeNull();
    expect(r.stdout.trim()).toBe("1");
    expect(r.stderr).toMatch(/entry scan request\.data\.note ~ "\(a\+\)\+\$"/);
    expect(r.stderr).toMatch(new RegExp(`parsed ${FILLER_RECORDS + 2}\\b`));
  });
});

describe("a pattern RE2 cannot run exits 2 with the caret at the pattern and a hint", () => {
  test.each([
    ['path ~ "(a)\\1"', "backreference `\\1` is not supported"],
    ['path ~ "^(?!secret)"', "lookahead `(?!` is not supported"],
    ['path ~ "(?<=secret/)data"', "lookbehind `(?<=` is not supported"],
  ])("%s", async (query, message) => {
    const r = await bin(["query", "--db", db, query]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `breakglass: query:1:8: bad regular expression: ${message}\n` +
        `  ${query}\n` +
        `  ${" ".repeat(7)}^\n` +
        "hint: breakglass uses RE2 syntax: no backreferences or lookaround\n",
    );
  });
});
