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

test("the start-character hints change nothing: the lexer cuts every input as without them", async () => {
  const { createToken, Lexer } = await import("chevrotain");
  const { ALL_TOKENS, queryLexer } = await import("../../src/query/tokens.js");
  // The same tokens with no hints (Chevrotain then analyses each pattern itself).
  const plain = new Map<unknown, ReturnType<typeof createToken>>();
  const unhinted = (t: (typeof ALL_TOKENS)[number]): ReturnType<typeof createToken> => {
    let copy = plain.get(t);
    if (copy) return copy;
    const cats = (t.CATEGORIES ?? []).filter((c) => c !== t).map(unhinted);
    const longer = t.LONGER_ALT;
    copy = createToken({
      name: t.name,
      pattern: t.PATTERN as RegExp,
      ...(t.GROUP !== undefined ? { group: t.GROUP as string } : {}),
      ...(cats.length > 0 ? { categories: cats } : {}),
      ...(longer !== undefined && !Array.isArray(longer) ? { longer_alt: unhinted(longer) } : {}),
    });
    plain.set(t, copy);
    return copy;
  };
  const reference = new Lexer(ALL_TOKENS.map(unhinted), {
    ensureOptimizations: true,
    positionTracking: "onlyOffset",
  });
  expect(reference.lexerDefinitionErrors).toEqual([]);
  expect(ALL_TOKENS.every((t) => t.START_CHARS_HINT !== undefined || t.PATTERN === Lexer.NA)).toBe(
    true,
  );

  const cut = (lexer: typeof queryLexer, text: string) => {
    const r = lexer.tokenize(text);
    return {
      tokens: r.tokens.map((t) => [t.tokenType.name, t.startOffset, t.image]),
      errors: r.errors.map((e) => [e.offset, e.length]),
    };
  };
  const inputs: string[] = [];
  // Every BMP character alone, before a word, and doubled.
  for (let c = 0; c < 0x10000; c++) {
    const ch = String.fromCharCode(c);
    inputs.push(ch, ch + "ab", "a" + ch + "=" + ch);
  }
  // Random strings over the characters the language uses, and some it does not.
  const alphabet = [
    ..."aAnNoOtTiIeExXbBdDhHlLcCsSpPfF019._-/:@+\"'\\ \t|*()[],=!^<>~#é\u00a0\u2003",
  ];
  let seed = 42;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
  for (let i = 0; i < 3000; i++) {
    inputs.push(
      Array.from({ length: 1 + rand(24) }, () => alphabet[rand(alphabet.length)]).join(""),
    );
  }
  inputs.push("ip = 10.103.9.43 | leases", 'path ^= "secret/app1" and NOT op in [read, list]');
  const differ = inputs.filter(
    (text) => JSON.stringify(cut(queryLexer, text)) !== JSON.stringify(cut(reference, text)),
  );
  expect(differ.slice(0, 5)).toEqual([]);
});
