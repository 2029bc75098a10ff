// JSONx lines (Vault's `format=jsonx`) read back as the JSON of the same entry: Vault's form (the
// top-level members only) and the library's full form, every value kind, XML escapes, a bare `&`
// (jsonx v1.0.0 did not escape it), and documents that are no entry, each with its reason.
import { describe, expect, test } from "vitest";
import { isJsonxLine, jsonxText } from "../../../src/audit/framing/jsonx-framing.js";
import { recordEntry, recordJson } from "../../../src/audit/framing/record-json.js";
import { unwrapLine } from "../../../src/audit/framing/unwrap-line.js";
import type { InputMode } from "../../../src/audit/framing/input-mode.js";
import { parseLines } from "../../../src/ingest/parse-lines.js";
import { unpackResult } from "../../../src/ingest/worker-protocol.js";
import { jsonxLine } from "../../helpers/jsonx-encode.js";

const ENTRY = {
  time: "2026-11-29T10:00:00.123456Z",
  type: "response",
  auth: {
    accessor: "hmac-sha256:0a1b",
    policies: ["default", "app-read"],
    metadata: { role: "web", "odd name <&>": "x" },
    token_ttl: 3600,
    entity_created: false,
    policy_results: { allowed: true, granting_policies: [{ name: "app-read", type: "acl" }] },
  },
  request: {
    id: "0d4c0c52-4f1c-4b0a-9d7f-1a2b3c4d5e6f",
    operation: "read",
    path: "secret/data/a&b <c>",
    remote_address: "10.0.0.5",
    remote_port: 51234,
    data: { note: "quote \" apostrophe ' tab \t newline \n cr \r unicode é 🔑", empty: "" },
    headers: { "x-forwarded-for": ["203.0.113.9, 10.0.0.1"] },
    wrap_ttl: 0,
  },
  response: { data: { ttl: -1.5e-3, list: [1, "two", null, true, { x: [] }], none: null } },
  error: "",
};
const JSON_LINE = JSON.stringify(ENTRY);

describe("JSONx lines read as their entry", () => {
  test.each([
    ["Vault's form (members only)", jsonxLine(JSON_LINE)],
    ["the full form (declaration and root)", jsonxLine(JSON_LINE, true)],
  ])("%s", (_name, line) => {
    expect(isJsonxLine(line)).toBe(true);
    const x = jsonxText(line);
    expect("json" in x && JSON.parse(x.json)).toEqual(ENTRY);
  });

  test("a stored JSONx record gives the entry to every reader (recordEntry, recordJson)", () => {
    const line = Buffer.from(jsonxLine(JSON_LINE));
    expect(recordEntry(line)).toEqual(ENTRY);
    expect(JSON.parse(recordJson(line).toString("utf8"))).toEqual(ENTRY);
  });

  test("JSONx inside another framing (a container's log) reads the same", () => {
    const docker = JSON.stringify({ log: jsonxLine(JSON_LINE) + "\n", stream: "stdout" });
    expect(recordEntry(Buffer.from(docker))).toEqual(ENTRY);
  });

  test("a bare & (jsonx v1.0.0 wrote values unescaped) is read as itself", () => {
    const line =
      '<json:object name="request"><json:string name="path">a&b&amp;c&#38;d</json:string></json:object><json:string name="type">request</json:string>';
    const x = jsonxText(line);
    expect("json" in x && JSON.parse(x.json)).toEqual({
      request: { path: "a&b&c&d" },
      type: "request",
    });
  });

  test("numbers keep their text", () => {
    const x = jsonxText('<json:number name="n">12345678901234567890</json:number>');
    expect(x).toEqual({ json: '{"n":12345678901234567890}' });
  });

  test("the framing is jsonx under auto and --input jsonx, and not under other modes", () => {
    const line = jsonxLine(JSON_LINE);
    expect(unwrapLine(line, "auto")?.framing).toBe("jsonx");
    expect(unwrapLine(line, "jsonx")?.framing).toBe("jsonx");
    expect(unwrapLine(line, "syslog")).toBeUndefined();
    expect(unwrapLine(line, "json")).toBeUndefined();
  });

  test.each([
    ["a cut document", '<json:object name="auth"><json:string name="a">x', /unclosed tag/],
    [
      "another element",
      '<json:thing name="type">x</json:thing>',
      /unexpected element <json:thing>/,
    ],
    ["a member without a name", "<json:string>x</json:string>", /has no name/],
    ["text beside the values", '<json:string name="type">x</json:string> tail', /text outside/],
    ["a number that is not one", '<json:number name="n">12abc</json:number>', /json:number/],
    ["a boolean that is not one", '<json:boolean name="b">yes</json:boolean>', /json:boolean/],
    ["two roots", "<json:object></json:object><json:object></json:object>", /more than one root/],
    ["a value inside a string", '<json:string name="a"><json:null /></json:string>', /inside/],
  ])("%s is not an entry, and says why", (_name, line, why) => {
    const x = jsonxText(line);
    expect("problem" in x && x.problem).toMatch(why);
    expect("problem" in x && x.problem).toMatch(/^not a JSONx entry/);
    // The next line is read by a fresh parser state.
    expect(jsonxText('<json:string name="type">ok</json:string>')).toEqual({
      json: '{"type":"ok"}',
    });
  });
});

describe("JSONx lines in a parse task", () => {
  const parse = (text: string, prefix?: string, input: InputMode = "auto") =>
    unpackResult(parseLines(Buffer.from(text), prefix, undefined, input)).meta;
  const [a, b] = [JSON_LINE, JSON.stringify({ ...ENTRY, type: "request" })];

  test("a broken document is one bad line with its reason; its neighbours are records", () => {
    const meta = parse(
      `${jsonxLine(a)}\n<json:object name="auth"><json:string>\n${jsonxLine(b)}\n`,
    );
    expect(meta.records).toBe(2);
    expect(meta.bad).toEqual([{ line: 1, reason: expect.stringMatching(/^not a JSONx entry \(/) }]);
    expect(meta.framings).toEqual(["jsonx"]);
  });

  test("after a device prefix (--prefix), and inside a Docker log", () => {
    expect(parse(`audit: ${jsonxLine(a)}\n`, "audit: ").records).toBe(1);
    const docker = JSON.stringify({ log: jsonxLine(a) + "\n", stream: "stdout" });
    expect(parse(`${docker}\n`).records).toBe(1);
  });

  test("--input json does not read it", () => {
    expect(parse(`${jsonxLine(a)}\n`, undefined, "json").records).toBe(0);
  });
});
