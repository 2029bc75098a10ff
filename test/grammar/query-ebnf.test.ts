// Every example written in grammar/query.ebnf parses, and the EBNF names every stage and
// catalog field the parser knows (so the two cannot silently drift apart).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, test } from "vitest";
import { FIELDS } from "../../src/audit/field-catalog.js";
import { parseQuery } from "../../src/query/parse-query.js";
import { STAGE_NAMES } from "../../src/query/tokens.js";
import { repoRoot } from "../../grammar/generate-grammar.js";

const ebnf = readFileSync(join(repoRoot(), "grammar/query.ebnf"), "utf8");
const examples = [...ebnf.matchAll(/^example: (.*)$/gm)].map((m) => m[1]!);

describe("grammar/query.ebnf", () => {
  it("has at least ten examples", () => {
    expect(examples.length).toBeGreaterThanOrEqual(10);
  });

  // SPEC.md lives beside the repository in the workspace; elsewhere this check is skipped.
  const specPath = join(repoRoot(), "..", "shared", "SPEC.md");
  it.runIf(existsSync(specPath))("includes every example of SPEC.md", () => {
    const spec = readFileSync(specPath, "utf8");
    const block = /Examples that must work:\n```\n([\s\S]*?)```/.exec(spec);
    const specExamples = block ? block[1]!.trim().split("\n") : [];
    expect(specExamples.length).toBeGreaterThan(0);
    for (const e of specExamples) expect(examples).toContain(e);
  });

  test.each(examples)("parses: %s", (example) => {
    expect(parseQuery(example).kind).toBe("query");
  });

  it("names every stage and catalog field", () => {
    for (const stage of STAGE_NAMES) expect(ebnf).toContain(`"${stage}"`);
    for (const field of FIELDS) expect(ebnf).toContain(`"${field.name}"`);
  });
});
