// parseQuery never throws anything but a QueryError and never hangs: ~2,000 random and mutated
// query strings (seeded, so a failure reproduces), each parsed within a generous time bound.
import { describe, expect, it } from "vitest";
import { QueryError } from "../../src/errors.js";
import { parseQuery } from "../../src/query/parse-query.js";
import { mulberry32 } from "../../src/demo/seeded-random.js";

const SEEDS = [
  "ip = 10.103.9.43 | leases",
  "ip in 10.103.0.0/16 and op = read | count by path",
  'hmac = "hmac-sha256:ef6840c79d1be65f328b51141c3f19ca3360a7ed9d972a76f1cd6e7c240436ca" | leases',
  'path ^= "secret/app1" | fields time, ip, display_name',
  "role = app1role and time >= 2018-08-28T00:00:00Z",
  "token in (ip = 10.103.9.43 | distinct token) | leases",
  'path = "sys/wrapping/unwrap" and error ~ "not valid"',
  'not (ip in [10.0.0.1, 2001:db8::/32] or hmac = hash("x")) | top 5 path | limit 2',
  "* | sort time desc | timeline 5m",
  "| pair | limit 3",
];

const PIECES = [
  "ip",
  "path",
  "time",
  "and",
  "or",
  "not",
  "in",
  "exists",
  "(",
  ")",
  "[",
  "]",
  ",",
  "|",
  "*",
  "=",
  "!=",
  "^=",
  "~",
  "<",
  "<=",
  ">",
  ">=",
  "==",
  "leases",
  "distinct",
  "count",
  "by",
  "top",
  "fields",
  "sort",
  "desc",
  "asc",
  "limit",
  "timeline",
  "pair",
  "hash",
  '"',
  "'",
  "\\",
  "10.0.0.1",
  "10.0.0.0/8",
  "::1",
  "2001:db8::/32",
  "2026-01-01T00:00:00Z",
  "-1",
  "0",
  "5m",
  "response.data.x",
  "a",
  " ",
  " ",
  "\n",
  "\t",
  "é",
  "😀",
  "\u0000",
  "$",
  "{",
  "}",
  ";",
  "#",
  ".",
  ":",
  "/",
  "..",
];

function randomQuery(rand: () => number): string {
  const n = Math.floor(rand() * 14);
  let s = "";
  for (let i = 0; i < n; i++) {
    s += PIECES[Math.floor(rand() * PIECES.length)];
    if (rand() < 0.6) s += " ";
  }
  return s;
}

function mutate(text: string, rand: () => number): string {
  let s = text;
  const edits = 1 + Math.floor(rand() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (s.length + 1));
    const r = rand();
    if (r < 0.3) s = s.slice(0, at) + s.slice(at + 1);
    else if (r < 0.6) s = s.slice(0, at) + PIECES[Math.floor(rand() * PIECES.length)] + s.slice(at);
    else if (r < 0.8) s = s.slice(0, at);
    else s = s.slice(0, at) + String.fromCharCode(Math.floor(rand() * 128)) + s.slice(at);
  }
  return s;
}

// Generous (a short parse takes well under a millisecond); long queries get time by length.
const maxMs = (q: string): number => 250 + q.length / 20;

describe("parseQuery under fuzzing", () => {
  it("throws only QueryError, with an offset inside the query, quickly", () => {
    const rand = mulberry32(20261123);
    const queries: string[] = [];
    for (let i = 0; i < 1000; i++) queries.push(randomQuery(rand));
    for (let i = 0; i < 1000; i++) queries.push(mutate(SEEDS[i % SEEDS.length]!, rand));
    queries.push("(".repeat(2000) + "ip = 10.0.0.1" + ")".repeat(2000));
    queries.push("not ".repeat(3000) + "ip = 10.0.0.1");
    queries.push("path = a " + "or path = a ".repeat(5000));
    queries.push("x".repeat(100_000));
    // The first `~` loads the regex engine (re2js, ~80 ms once per process): not parse time.
    parseQuery('path ~ "warm-up"');
    let parsed = 0;
    for (const q of queries) {
      const start = performance.now();
      try {
        parseQuery(q);
        parsed++;
      } catch (e) {
        if (!(e instanceof QueryError)) {
          throw new Error(`not a QueryError for ${JSON.stringify(q)}: ${String(e)}`);
        }
        expect(e.offset, JSON.stringify(q)).toBeGreaterThanOrEqual(0);
        expect(e.offset, JSON.stringify(q)).toBeLessThanOrEqual(e.query.length);
        expect(typeof e.render()).toBe("string");
      }
      const ms = performance.now() - start;
      expect(ms, JSON.stringify(q)).toBeLessThan(maxMs(q));
    }
    expect(parsed).toBeGreaterThan(0);
  });
});
