// The query language's tokens (README.md, "The query language"): what the lexer may cut a query into.
// Contract: keywords are case-insensitive and carry `longer_alt: Word`, so `order` is one word and
// not `or` + `der`, `notify` is not `not` + `ify`. Stage names, `by`, `asc`, `desc` and `hash` are
// soft keywords: they are also `Word`s, so `path = count` still compares with the word "count".
// `and`, `or`, `not`, `in`, `exists` are reserved: quote them to use them as values.
// A bare word is letters, digits and `_ - . / : @ +`: IPs (IPv4 and IPv6), CIDRs, RFC 3339 times
// with fractions and offsets, numbers, paths and HMACs need no quotes. What a word stands for is
// decided later (to-ast.ts), so the lexer never has to guess between an IPv6 address and a time.
import { createToken, Lexer, type TokenType } from "chevrotain";

// Every token has start_chars_hint: the lexer builds its first-character table from the hints
// instead of analysing each pattern, which took most of the lexer's ~11 ms at each start-up.
// A test checks each hint against its pattern, character by character.

/** What `\s` matches in JavaScript. */
export const SPACE_CHARS = [
  ..."\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff",
  ...Array.from({ length: 11 }, (_, i) => String.fromCharCode(0x2000 + i)),
];

export const WhiteSpace = createToken({
  name: "WhiteSpace",
  pattern: /\s+/,
  start_chars_hint: SPACE_CHARS,
  group: Lexer.SKIPPED,
});

const LETTERS = "abcdefghijklmnopqrstuvwxyz";
/** The characters of a bare word (Word's pattern, as a list). */
export const WORD_CHARS = [...LETTERS, ...LETTERS.toUpperCase(), ..."0123456789_-./:@+"];

/** A bare word: a field name, a value, a number, an interval. */
export const Word = createToken({
  name: "Word",
  pattern: /[A-Za-z0-9_\-./:@+]+/,
  start_chars_hint: WORD_CHARS,
  label: "a word",
});

/** A double- or single-quoted string; backslash escapes as in JSON (plus `\'`). */
export const QuotedString = createToken({
  name: "QuotedString",
  pattern: /"(?:[^"\\]|\\[\s\S])*"|'(?:[^'\\]|\\[\s\S])*'/,
  start_chars_hint: ['"', "'"],
  label: "a quoted string",
});

function keyword(name: string, word: string, soft: boolean): TokenType {
  return createToken({
    name,
    pattern: new RegExp(word, "i"),
    start_chars_hint: [word[0]!.toLowerCase(), word[0]!.toUpperCase()],
    longer_alt: Word,
    label: `\`${word}\``,
    ...(soft ? { categories: [Word] } : {}),
  });
}

export const And = keyword("And", "and", false);
export const Or = keyword("Or", "or", false);
export const Not = keyword("Not", "not", false);
export const In = keyword("In", "in", false);
export const Exists = keyword("Exists", "exists", false);

export const By = keyword("By", "by", true);
export const Desc = keyword("Desc", "desc", true);
export const Asc = keyword("Asc", "asc", true);
export const Hash = keyword("Hash", "hash", true);

export const Leases = keyword("Leases", "leases", true);
export const Distinct = keyword("Distinct", "distinct", true);
export const Count = keyword("Count", "count", true);
export const Top = keyword("Top", "top", true);
export const Fields = keyword("Fields", "fields", true);
export const Sort = keyword("Sort", "sort", true);
export const Limit = keyword("Limit", "limit", true);
export const Timeline = keyword("Timeline", "timeline", true);
export const Pair = keyword("Pair", "pair", true);

/** Every stage name, for "unknown stage" suggestions and shell completion. */
export const STAGE_NAMES = [
  "leases",
  "distinct",
  "count",
  "top",
  "fields",
  "sort",
  "limit",
  "timeline",
  "pair",
] as const;

/** The category of every comparison operator: a predicate is `FIELD CompareOp VALUE`. */
export const CompareOp = createToken({
  name: "CompareOp",
  pattern: Lexer.NA,
  label: "an operator",
});

function operator(name: string, pattern: RegExp, image: string): TokenType {
  return createToken({
    name,
    pattern,
    start_chars_hint: [image[0]!],
    categories: [CompareOp],
    label: `\`${image}\``,
  });
}

export const NotEq = operator("NotEq", /!=/, "!=");
export const PrefixOf = operator("PrefixOf", /\^=/, "^=");
export const LessEq = operator("LessEq", /<=/, "<=");
export const GreaterEq = operator("GreaterEq", />=/, ">=");
export const Eq = operator("Eq", /==?/, "=");
export const Less = operator("Less", /</, "<");
export const Greater = operator("Greater", />/, ">");
export const Matches = operator("Matches", /~/, "~");

export const Pipe = createToken({
  name: "Pipe",
  pattern: /\|/,
  start_chars_hint: ["|"],
  label: "`|`",
});
export const Star = createToken({
  name: "Star",
  pattern: /\*/,
  start_chars_hint: ["*"],
  label: "`*`",
});
export const LParen = createToken({
  name: "LParen",
  pattern: /\(/,
  start_chars_hint: ["("],
  label: "`(`",
});
export const RParen = createToken({
  name: "RParen",
  pattern: /\)/,
  start_chars_hint: [")"],
  label: "`)`",
});
export const LBracket = createToken({
  name: "LBracket",
  pattern: /\[/,
  start_chars_hint: ["["],
  label: "`[`",
});
export const RBracket = createToken({
  name: "RBracket",
  pattern: /\]/,
  start_chars_hint: ["]"],
  label: "`]`",
});
export const Comma = createToken({
  name: "Comma",
  pattern: /,/,
  start_chars_hint: [","],
  label: "`,`",
});

/** Lexer order matters: keywords before `Word` (their `longer_alt` hands longer words back). */
export const ALL_TOKENS: readonly TokenType[] = [
  WhiteSpace,
  QuotedString,
  And,
  Or,
  Not,
  In,
  Exists,
  By,
  Desc,
  Asc,
  Hash,
  Leases,
  Distinct,
  Count,
  Top,
  Fields,
  Sort,
  Limit,
  Timeline,
  Pair,
  Word,
  CompareOp,
  NotEq,
  PrefixOf,
  LessEq,
  GreaterEq,
  Eq,
  Less,
  Greater,
  Matches,
  Pipe,
  Star,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
];

export const queryLexer = new Lexer([...ALL_TOKENS], {
  // The token definitions are checked by the tests (a validating lexer): skip it at start-up.
  skipValidations: true,
  ensureOptimizations: true,
  positionTracking: "onlyOffset",
});
