// compareLines: a chunk's bytes → entry summaries and bad lines, through the framings `index`
// reads; and summarizeEntry's flattening, which decides what "the same entry" means.
import { describe, expect, test } from "vitest";
import { leaves, summarizeEntry } from "../../src/evidence/compare-entry.js";
import { compareLines } from "../../src/evidence/compare-lines.js";

const entry = (id: string, path = "secret/data/x"): string =>
  JSON.stringify({
    time: "2026-11-20T00:00:01.5Z",
    type: "request",
    auth: { client_token: "hmac-sha256:" + "ab".repeat(32) },
    request: { id, path, operation: "read", remote_address: "10.0.0.1" },
  });

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe("compareLines", () => {
  test("every framing gives the same summary as the plain line", () => {
    const plain = compareLines(bytes(entry("r1") + "\n"));
    const docker = JSON.stringify({ log: entry("r1") + "\n", stream: "stdout", time: "t" });
    const framed = [
      `vault-audit: ${entry("r1")}`,
      `<13>Nov 20 00:00:01 vault-0 vault[1]: ${entry("r1")}`,
      docker,
      `2026-11-20T00:00:01.1Z stdout P ${entry("r1").slice(0, 40)}\n2026-11-20T00:00:01.1Z stdout F ${entry("r1").slice(40)}`,
    ];
    for (const text of framed) {
      const out = compareLines(bytes(text + "\n"));
      expect(out.keys).toEqual(plain.keys);
      expect(out.plains).toEqual(plain.plains);
      expect(out.hmacs).toEqual(plain.hmacs);
      expect(out.bad).toEqual([]);
    }
  });

  test("bad lines are data with their line; blank and server-log lines are neither", () => {
    const text = [
      entry("r1"),
      "",
      entry("r2").slice(0, 30),
      "2026-11-20T00:00:01.000Z [INFO]  core: enabled audit backend",
      "[1, 2, 3]",
      entry("r3"),
    ].join("\n");
    const out = compareLines(bytes(text));
    expect(out.lines).toBe(6);
    expect(out.lineOf).toEqual([0, 5]);
    expect(out.bad).toEqual([
      { line: 2, reason: "truncated JSON entry" },
      { line: 4, reason: "not an audit entry: not a JSON object" },
    ]);
  });
});

describe("summarizeEntry", () => {
  test("the key is type and request id; time apart; HMACs apart from plain values", () => {
    const s = summarizeEntry(JSON.parse(entry("r1")) as Record<string, unknown>);
    expect(s.key).toBe("request\u0000r1");
    expect(s.timeMs).toBe(Date.parse("2026-11-20T00:00:01.5Z"));
    expect([...leaves(s.hmacs).keys()]).toEqual(["auth.client_token"]);
    expect(leaves(s.plain).get("request.path")).toBe('"secret/data/x"');
    expect(leaves(s.plain).has("time")).toBe(false);
  });

  test("a value holding the separators cannot pass for other leaves", () => {
    const forged = { type: "request", request: { id: "r", path: "a\u001e request.x\u001f1" } };
    const honest = { type: "request", request: { id: "r", path: "a", x: 1 } };
    expect(summarizeEntry(forged).plain).not.toBe(summarizeEntry(honest).plain);
    expect(leaves(summarizeEntry(forged).plain).get("request.path")).toBe(
      JSON.stringify("a\u001e request.x\u001f1"),
    );
  });
});
