// What a line typed into `breakglass shell` asks for: a query or a backslash command; and the
// texts \help, \fields and \stats print.
import { describe, expect, test } from "vitest";
import { FIELDS } from "../../src/audit/field-catalog.js";
import {
  SHELL_COMMANDS,
  fieldsText,
  parseShellLine,
  shellHelpText,
  statsText,
  type ShellLine,
} from "../../src/cli/shell-commands.js";
import type { IndexStats } from "../../src/store/index-stats.js";

describe("parseShellLine", () => {
  test.each<[string, ShellLine]>([
    ["", { kind: "empty" }],
    ["   ", { kind: "empty" }],
    ["# a comment in a script", { kind: "empty" }],
    ["ip = 10.0.0.1 | leases", { kind: "query", text: "ip = 10.0.0.1 | leases" }],
    ["  path ^= secret/  ", { kind: "query", text: "path ^= secret/" }],
    ["\\explain ip = 10.0.0.1", { kind: "explain", text: "ip = 10.0.0.1" }],
    ["\\format", { kind: "format", format: undefined }],
    ["\\format table", { kind: "format", format: "table" }],
    ["\\format auto", { kind: "format", format: "auto" }],
    ["\\fields", { kind: "fields" }],
    ["\\stats", { kind: "stats" }],
    ["\\help", { kind: "help" }],
    ["\\?", { kind: "help" }],
    ["\\q", { kind: "quit" }],
    ["\\quit", { kind: "quit" }],
    [" \\q ", { kind: "quit" }],
  ])("%j is %j", (line, expected) => {
    expect(parseShellLine(line)).toEqual(expected);
  });

  test.each<[string, RegExp]>([
    ["\\explain", /needs a query/],
    ["\\format yaml", /unknown format yaml; one of ndjson, json, table, csv, plain, auto/],
    ["\\fields ip", /takes no argument/],
    ["\\q now", /takes no argument/],
    ["\\drop", /unknown command \\drop; \\help lists them/],
    ["\\", /unknown command/],
  ])("%j is refused: %s", (line, message) => {
    const parsed = parseShellLine(line);
    expect(parsed.kind).toBe("invalid");
    if (parsed.kind === "invalid") expect(parsed.message).toMatch(message);
  });
});

describe("the texts the commands print", () => {
  test("\\help names every command and how to quit", () => {
    const help = shellHelpText();
    for (const c of SHELL_COMMANDS) expect(help).toContain(`\\${c.name}`);
    expect(help).toMatch(/Ctrl-D quits/);
  });

  test("\\fields lists every field with its description, one a line", () => {
    const lines = fieldsText().trimEnd().split("\n");
    expect(lines).toHaveLength(FIELDS.length + 1);
    FIELDS.forEach((f, i) => {
      expect(lines[i]).toMatch(
        new RegExp(`^${f.name} +${f.kind} +${f.description.replace(/[`()]/g, ".")}`),
      );
    });
    expect(lines.at(-1)).toMatch(/dotted/);
  });

  test("\\stats shows the index and the session", () => {
    const stats: IndexStats = {
      files: 2,
      records: 274,
      badLines: 1,
      skippedLines: 0,
      bytes: 3 * 1024 * 1024,
      firstTime: "2026-11-20T00:00:00Z",
      lastTime: "2026-11-20T00:00:04Z",
      noTime: 3,
      segments: 1,
      indexBytes: 1024 * 1024,
      fileList: [],
      badLineList: [],
      rawTokenFiles: [],
    };
    const text = statsText("/db", stats, { queries: 3, failed: 1, format: "auto" });
    expect(text).toMatch(/^records +274$/m);
    expect(text).toMatch(/^no time +3 records/m);
    expect(text).toMatch(/^time span +2026-11-20T00:00:00Z … 2026-11-20T00:00:04Z$/m);
    expect(text).toMatch(/^session +3 queries, 1 failed, format auto$/m);
  });
});
