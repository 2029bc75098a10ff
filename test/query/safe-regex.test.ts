// The regex engine for users' patterns: RE2 answers like JavaScript's RegExp on the patterns both
// understand (the oracle's engine), names what RE2 cannot do (backreferences, lookaround) in a
// QueryError with the pattern's offset and a hint, and `~` queries agree with the oracle over a
// generated log on dictionary scans, time filters, addresses and dotted paths (scan workers).
// Patterns that make RegExp backtrack forever are tested through the bin, with a kill timeout:
// test/e2e/hostile-regex.test.ts.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { writeAuditLog } from "../../src/demo/generate-log.js";
import { QueryError } from "../../src/errors.js";
import { openIndex, type BreakglassIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { compileAlertRules } from "../../src/live/alert-rules.js";
import { exprTest } from "../../src/query/expr-test.js";
import { parseQuery } from "../../src/query/parse-query.js";
import { runQuery } from "../../src/query/run-query.js";
import { compileSafeRegex, REGEX_SYNTAX_HINT } from "../../src/query/safe-regex.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  cmp,
  engineAnswer,
  oracleAnswer,
  oracleEntries,
  queryText,
  quoted,
  type OEntry,
  type OExpr,
} from "../oracle/query-oracle.js";
import { scanLogs } from "../oracle/scan-log.js";

const tempDir = tempDirs("bg-safe-regex-");

describe("answers like JavaScript's RegExp where both accept the pattern", () => {
  const TEXTS = [
    "secret/data/app1/stripe",
    "sys/wrapping/unwrap",
    "wrapping token is not valid or does not exist",
    "2026-11-20T09:30:00.123456789Z",
    "10.103.9.43",
    "2001:db8::7",
    "database/creds/readonly/cc4eefHn8MyaG5F1fdB7NZrW",
    "",
    "Secret/Data",
    "a\nb",
  ];
  test.each([
    "secret",
    "^secret/",
    "stripe$",
    "^$",
    "^secret/data/app[0-9]+/",
    "creds/(readonly|readwrite)/",
    "(?:ab|cd)+",
    "\\d{2,4}-\\d\\d",
    "\\bnot valid\\b",
    "[^a-z/]",
    "^[0-9.]+$",
    "::[0-9a-f]+$",
    "T09:3\\d:",
    "a.b",
    "s.*?t",
    "\\.",
    "\\/unwrap",
    "x*",
    "[A-Z]",
    "e{2}|z",
  ])("%s", (pattern) => {
    const re = compileSafeRegex(pattern, pattern, 0);
    const js = new RegExp(pattern);
    expect(TEXTS.map((t) => re.test(t))).toEqual(TEXTS.map((t) => js.test(t)));
  });

  test("RE2's own syntax works too: (?i) for case-insensitive, \\pL for a letter", () => {
    expect(compileSafeRegex("(?i)^SECRET/", "", 0).test("secret/data")).toBe(true);
    expect(compileSafeRegex("^SECRET/", "", 0).test("secret/data")).toBe(false);
    expect(compileSafeRegex("^\\pL+$", "", 0).test("café")).toBe(true);
  });
});

describe("what RE2 cannot do is a query error at the pattern, with a hint, never a crash", () => {
  test.each([
    ["(a)\\1", "backreference `\\1` is not supported"],
    ["(?<n>a)\\k<n>", "backreference `\\k` is not supported"],
    ["(?=secret)", "lookahead `(?=` is not supported"],
    ["^(?!secret)", "lookahead `(?!` is not supported"],
    ["(?<=secret/)data", "lookbehind `(?<=` is not supported"],
    ["(?<!x)data", "lookbehind `(?<!` is not supported"],
    ["(unclosed", "missing closing ): `(unclosed`"],
    ["a{2000}", "invalid repeat count: `{2000}`"],
  ])("%s", (pattern, message) => {
    const query = `path ~ "${pattern}"`;
    let err: unknown;
    try {
      compileSafeRegex(pattern, query, 7);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QueryError);
    const q = err as QueryError;
    expect(q.message).toBe(`bad regular expression: ${message}`);
    expect(q.hint).toBe(REGEX_SYNTAX_HINT);
    expect(q.offset).toBe(7);
    expect(q.render()).toContain(`query:1:8: bad regular expression`);
  });

  test("an alert rule with such a pattern is refused before it runs", async () => {
    const err = await compileAlertRules(['x=op = read and path ~ "(?=x)"']).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(QueryError);
    expect((err as QueryError).offset).toBe("op = read and path ~ ".length);
    expect((err as QueryError).hint).toBe(REGEX_SYNTAX_HINT);
  });
});

describe("`~` queries agree with the oracle over a generated log", () => {
  let index: BreakglassIndex;
  let entries: OEntry[];

  beforeAll(async () => {
    const dir = tempDir();
    const log = path.join(dir, "audit.log");
    await writeAuditLog(log, { seed: 15, targetBytes: 600_000, salt: "s" });
    await indexFiles(path.join(dir, "db"), [log], { workers: 1 });
    index = openIndex(path.join(dir, "db"), { salt: "s" });
    entries = oracleEntries(scanLogs([log]));
  });
  afterAll(async () => {
    await index?.close();
  });

  const ids = (lines: readonly string[]): string[] =>
    lines.map((l) => (JSON.parse(l) as { request: { id: string } }).request.id);

  test.each<OExpr>([
    cmp("path", "~", quoted("^secret/data/app[0-9]+/")),
    cmp("path", "~", quoted("creds/(readonly|readwrite)$")),
    cmp("error", "~", quoted("not valid")),
    cmp("error", "~", quoted("^(permission|wrapping)\\b")),
    cmp("ip", "~", quoted("^10\\.103\\.")),
    cmp("ip", "~", quoted("^(?:192|2001):")),
    cmp("time", "~", quoted("T00:0[0-4]:")),
    cmp("role", "~", quoted("-(api|worker)$")),
    cmp("request.operation", "~", quoted("^(read|list)$")),
    cmp("response.data.username", "~", quoted("^hmac-sha256:[0-9a-f]{4}")),
  ])("$field ~ $value.text", async (where) => {
    const text = queryText({ where, stages: [] });
    const expected = oracleAnswer({ where, stages: [] }, entries, { salt: "s" }).map((i) =>
      i.kind === "record" ? i.line : "",
    );
    expect(expected.length).toBeGreaterThan(0);
    const answer = await engineAnswer((await runQuery(index.engine, text)).items);
    expect(ids(answer.map((i) => (i.kind === "record" ? i.line : "")))).toEqual(ids(expected));
    // Alert rules test entries one by one (exprTest): the same answer.
    const t = exprTest(parseQuery(text).where, text);
    const viaExprTest = entries.filter((e) => t(e.entry as never)).map((e) => e.line);
    expect(ids(viaExprTest)).toEqual(ids(expected));
  });
});
