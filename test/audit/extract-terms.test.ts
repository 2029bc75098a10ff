// The ingest fast path (TermExtractor + termForText) yields exactly the terms of the slow,
// obviously-right definition (catalogFieldValues + termOf) on every corpus and generated entry.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { referenceTerms, TermExtractor, termForText } from "../../src/audit/extract-terms.js";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { FIELDS } from "../../src/audit/field-catalog.js";
import { corpusLogs, noticeIfNoCorpus } from "../helpers/shared-corpus.js";

noticeIfNoCorpus("extract-terms");

function fastTerms(entry: unknown): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  new TermExtractor().extract(entry, (f, text) => {
    const term = termForText(f, text);
    if (term === undefined) return;
    let set = out.get(f);
    if (!set) out.set(f, (set = new Set()));
    set.add(term);
  });
  return out;
}

function entries(): unknown[] {
  const out: unknown[] = [...generateAuditLines({ seed: 7, targetBytes: 300_000, salt: "s" })].map(
    (l) => JSON.parse(l),
  );
  for (const file of corpusLogs()) {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (line.trim()) out.push(JSON.parse(line));
    }
  }
  return out;
}

describe("term extraction", () => {
  test("the fast path and the reference agree on every entry", () => {
    const all = entries();
    expect(all.length).toBeGreaterThan(200);
    for (const e of all) expect(fastTerms(e)).toEqual(referenceTerms(e));
  });

  test("key order and missing objects do not matter", () => {
    const a = {
      type: "request",
      request: { remote_address: "10.0.0.5:443", path: "p", id: "r1" },
      time: "2026-01-01T00:00:00.5Z",
    };
    const b = {
      time: "2026-01-01T00:00:00.500Z",
      request: { id: "r1", path: "p", remote_address: "10.0.0.5", remote_port: 443 },
      type: "request",
    };
    expect(fastTerms(a)).toEqual(fastTerms(b));
    const at = (name: string): number => FIELDS.findIndex((f) => f.name === name);
    expect(fastTerms({ type: "x" })).toEqual(
      new Map([
        [at("type"), new Set(["\u0000x"])],
        [at("outcome"), new Set(["\u0000success"])],
      ]),
    );
  });
});
