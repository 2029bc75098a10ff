// The bar's highlighting (web/query-tokens.ts): every character lands in one span, in order, and
// the spans are coloured by what they are.
import { expect, test } from "vitest";
import { querySpans } from "../../web/query-tokens.js";

test.each([
  "ip = 10.103.9.43 | leases",
  'path ^= "secret/app1" and ip in 205.178.0.0/16 | count by ip',
  "token in (ip = 10.103.9.43 | distinct token) | leases",
  'error ~ "unterminated',
  "  odd\t{spacing}  ",
])("the spans of %j put the query back together", (query) => {
  expect(
    querySpans(query)
      .map((s) => s.text)
      .join(""),
  ).toBe(query);
});

test("fields, operators, values, keywords, stages and strings are told apart", () => {
  const spans = querySpans('path = "a b" and not ip = 1.2.3.4 | count by ip').filter(
    (s) => s.cls !== "space",
  );
  expect(spans.map((s) => [s.text, s.cls])).toEqual([
    ["path", "field"],
    ["=", "operator"],
    ['"a b"', "string"],
    ["and", "keyword"],
    ["not", "keyword"],
    ["ip", "field"],
    ["=", "operator"],
    ["1.2.3.4", "value"],
    ["|", "pipe"],
    ["count", "stage"],
    ["by", "keyword"],
    ["ip", "field"],
  ]);
});
