// Tab completion in `breakglass shell`: what is offered at the cursor, from our own catalog of
// fields, stages, operators and backslash commands, whatever half-typed text precedes it.
import { describe, expect, test } from "vitest";
import { FIELDS } from "../../src/audit/field-catalog.js";
import { STAGE_NAMES } from "../../src/query/tokens.js";
import { OPERATORS, completeShellLine } from "../../src/cli/shell-completer.js";

const FIELD_NAMES = FIELDS.map((f) => f.name);

describe("completeShellLine", () => {
  test.each<[string, string[], string]>([
    // field names where a predicate starts
    ["pa", ["path"], "pa"],
    ["ro", ["role"], "ro"],
    ["ip = 10.0.0.1 and le", ["lease"], "le"],
    ["ip = 10.0.0.1 or (to", ["token", "token_type"], "to"],
    ["not acc", ["accessor"], "acc"],
    ["exists dis", ["display_name"], "dis"],
    ["n", ["namespace", "namespace_id", "not"], "n"],
    ["e", ["error", "entity", "exists"], "e"],
    // operators after a field (and `in` after a word being typed)
    ["ip ", [...OPERATORS], ""],
    ["response.data.username ", [...OPERATORS], ""],
    ["ip i", ["in"], "i"],
    ["ip <", ["<", "<="], "<"],
    ["path ^", ["^="], "^"],
    ["ip !", ["!="], "!"],
    // connectives after a value
    ["ip = 10.0.0.1 ", ["and", "or", "|"], ""],
    ['path = "secret/app 1" a', ["and"], "a"],
    ['hmac = hash("pw") o', ["or"], "o"],
    ["ip in [10.0.0.1, 10.0.0.2] ", ["and", "or", "|"], ""],
    ["ip in 10.0.0.0/8 | ", [...STAGE_NAMES], ""],
    // stage names after `|`
    ["ip = 10.0.0.1 | ", [...STAGE_NAMES], ""],
    ["ip = 10.0.0.1 |le", ["leases"], "le"],
    ["ip = 10.0.0.1 | t", ["top", "timeline"], "t"],
    ["ip = 10.0.0.1 | leases | co", ["count"], "co"],
    // fields of stages
    ["ip = 10.0.0.1 | distinct ", FIELD_NAMES, ""],
    ["ip = 10.0.0.1 | count by pa", ["path"], "pa"],
    ["ip = 10.0.0.1 | count ", ["by", "|"], ""],
    ["ip = 10.0.0.1 | top 5 di", ["display_name"], "di"],
    ["ip = 10.0.0.1 | sort ti", ["time"], "ti"],
    ["ip = 10.0.0.1 | sort time d", ["desc"], "d"],
    ["ip = 10.0.0.1 | fields time, i", ["ip"], "i"],
    ["ip = 10.0.0.1 | fields time ", [",", "|"], ""],
    // subqueries: a query of their own, then back to the outer one
    ["token in (ip = 10.0.0.1 | distinct to", ["token", "token_type"], "to"],
    ["kv", ["kv_path"], "kv"],
    ["token in (ip = 10.0.0.1 | distinct token) ", ["and", "or", "|"], ""],
    ["token in (ip = 10.0.0.1 and pa", ["path"], "pa"],
    // nothing to offer: values, numbers, inside quotes, lists and hash()
    ["ip = ", [], ""],
    ["ip = 10.0", [], "10.0"],
    ["ip = 10.0.0.1 | top ", [], ""],
    ['path = "secret/pa', [], "secret/pa"],
    ["ip in [10.0.0.1, 10", [], "10"],
    ['hmac = hash("pa', [], "pa"],
    ["zz", [], "zz"],
    // backslash commands and their arguments
    ["\\", ["\\explain", "\\format", "\\fields", "\\stats", "\\help", "\\q", "\\quit"], "\\"],
    ["\\f", ["\\format", "\\fields"], "\\f"],
    ["  \\ex", ["\\explain"], "\\ex"],
    ["\\q", ["\\q", "\\quit"], "\\q"],
    ["\\format ", ["ndjson", "json", "table", "csv", "plain", "auto"], ""],
    ["\\format t", ["table"], "t"],
    ["\\explain ip = 10.0.0.1 | le", ["leases"], "le"],
    ["\\explain ro", ["role"], "ro"],
    ["\\fields x", [], ""],
  ])("%j offers %j (replacing %j)", (line, hits, replaced) => {
    const [got, partial] = completeShellLine(line);
    expect(partial).toBe(replaced);
    expect([...got].sort()).toEqual([...hits].sort());
    for (const hit of got) expect(line.endsWith(partial) && hit.startsWith(partial)).toBe(true);
  });

  test("at an empty line, every field and the words that start a predicate", () => {
    expect(completeShellLine("")).toEqual([[...FIELD_NAMES, "not", "exists"], ""]);
  });

  test.each(['"', "((((", ")))) |", "ip = = = |||", "[[[ ]]] ((", "\\", "'\\", "|,|,"])(
    "never throws, whatever the text: %j",
    (line) => {
      expect(() => completeShellLine(line)).not.toThrow();
    },
  );
});
