// The shared parser skips Chevrotain's grammar validation for start-up speed; this is where the
// grammar is validated (ambiguities, left recursion, unreachable alternatives).
import { expect, test } from "vitest";
import { QueryParser } from "../../src/query/query-parser.js";

test("the query grammar passes Chevrotain's validations", () => {
  expect(() => new QueryParser({ validate: true })).not.toThrow();
});

test("the token definitions pass Chevrotain's lexer validations", async () => {
  const { Lexer } = await import("chevrotain");
  const { ALL_TOKENS } = await import("../../src/query/tokens.js");
  const lexer = new Lexer([...ALL_TOKENS], {
    ensureOptimizations: true,
    positionTracking: "onlyOffset",
  });
  expect(lexer.lexerDefinitionErrors).toEqual([]);
});
