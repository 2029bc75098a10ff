// The shared parser skips Chevrotain's grammar validation for start-up speed; this is where the
// grammar is validated (ambiguities, left recursion, unreachable alternatives).
import { expect, test } from "vitest";
import { QueryParser } from "../../src/query/query-parser.js";

test("the query grammar passes Chevrotain's validations", () => {
  expect(() => new QueryParser({ validate: true })).not.toThrow();
});
