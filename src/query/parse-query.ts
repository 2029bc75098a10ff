// Query text → AST: lex (tokens.ts), parse (query-parser.ts), build and check (to-ast.ts).
// Contract: returns a Query or throws a QueryError with the 0-based offset of the problem and
// what was expected there; no Chevrotain exception, TypeError or RangeError ever escapes. Cost:
// linear in the query's length (the parser is LL(3) with no backtracking).
import { EOF, tokenMatcher, type IRecognitionException, type IToken } from "chevrotain";
import { QueryError } from "../errors.js";
import type { Query } from "./ast.js";
import { nearestName } from "./nearest-name.js";
import { queryParser } from "./query-parser.js";
import { ToAst } from "./to-ast.js";
import {
  Exists,
  LBracket,
  LParen,
  Not,
  Pipe,
  RBracket,
  RParen,
  STAGE_NAMES,
  Word,
  queryLexer,
} from "./tokens.js";

/** Query texts longer than this are refused (a query is typed by a human; 64 KiB is plenty). */
export const MAX_QUERY_CHARS = 64 * 1024;

/** Parentheses, brackets and `not`s nested deeper than this are refused (the parser recurses). */
export const MAX_NESTING = 100;

/** Words people reach for instead of our stage names. */
const STAGE_ALIASES: Readonly<Record<string, string>> = {
  head: "limit",
  take: "limit",
  uniq: "distinct",
  unique: "distinct",
  dedup: "distinct",
  select: "fields",
  project: "fields",
  table: "fields",
  order: "sort",
  orderby: "sort",
  histogram: "timeline",
  stats: "count by",
  group: "count by",
  groupby: "count by",
  lease: "leases",
  revoke: "leases",
};

function lexError(text: string, offset: number): QueryError {
  const ch = text[offset] ?? "";
  if (ch === '"' || ch === "'") {
    return new QueryError(`unterminated string: expected a closing ${ch}`, text, offset);
  }
  return new QueryError(
    `unexpected character \`${ch}\``,
    text,
    offset,
    "quote values that contain other characters than letters, digits and _ - . / : @ +",
  );
}

function tokenOffset(token: IToken | undefined, text: string): number {
  if (!token || token.tokenType === EOF || Number.isNaN(token.startOffset)) return text.length;
  return token.startOffset;
}

function unknownStage(token: IToken, text: string): QueryError {
  const name = token.image.toLowerCase();
  const suggestion = STAGE_ALIASES[name] ?? nearestName(name, STAGE_NAMES);
  return new QueryError(
    `unknown stage \`${token.image}\``,
    text,
    token.startOffset,
    suggestion ? `did you mean \`${suggestion}\`?` : `stages are ${STAGE_NAMES.join(", ")}`,
  );
}

/** Tokens remained after a whole query: say what could have come instead. */
function leftover(token: IToken, tokens: readonly IToken[], text: string): QueryError {
  const offset = token.startOffset;
  if (token.tokenType === RParen) {
    let depth = 0;
    for (const t of tokens) {
      if (t === token) break;
      if (t.tokenType === LParen) depth++;
      else if (t.tokenType === RParen) depth--;
    }
    if (depth <= 0) return new QueryError("unexpected `)`: no `(` to close", text, offset);
  }
  const afterStage = tokens.some((t) => t.tokenType === Pipe && t.startOffset < offset);
  const expected = afterStage
    ? "`|` or the end of the query"
    : "`and`, `or`, `|` or the end of the query";
  const hint =
    token.tokenType === Word || token.tokenType.CATEGORIES?.includes(Word)
      ? 'quote values that contain spaces: path = "a b"'
      : undefined;
  return new QueryError(`expected ${expected}, found \`${token.image}\``, text, offset, hint);
}

function syntaxError(
  error: IRecognitionException,
  tokens: readonly IToken[],
  text: string,
): QueryError {
  const token = error.token;
  const rule = error.context.ruleStack[error.context.ruleStack.length - 1];
  if (error.name === "NotAllInputParsedException") return leftover(token, tokens, text);
  const before = tokens[tokens.indexOf(token) - 1];
  if (token.tokenType === Exists && before && tokenMatcher(before, Word)) {
    // `error exists`: SQL and jq habits put the test after the field.
    return new QueryError(
      error.message,
      text,
      tokenOffset(token, text),
      `\`exists\` comes before the field: exists ${before.image}`,
    );
  }
  if (
    rule === "stage" &&
    error.name === "NoViableAltException" &&
    (token.tokenType === Word || token.tokenType.CATEGORIES?.includes(Word))
  ) {
    return unknownStage(token, text);
  }
  return new QueryError(error.message, text, tokenOffset(token, text));
}

function tooDeep(tokens: readonly IToken[], text: string): QueryError | undefined {
  let depth = 0;
  let nots = 0;
  for (const t of tokens) {
    if (t.tokenType === LParen || t.tokenType === LBracket) depth++;
    else if (t.tokenType === RParen || t.tokenType === RBracket) depth--;
    nots = t.tokenType === Not ? nots + 1 : t.tokenType === LParen ? nots : 0;
    if (depth + nots > MAX_NESTING) {
      return new QueryError(`query is nested more than ${MAX_NESTING} deep`, text, t.startOffset);
    }
  }
  return undefined;
}

function parseTokens(tokens: IToken[], text: string): Query {
  queryParser.input = tokens;
  const cst = queryParser.query();
  const firstError = queryParser.errors[0];
  if (firstError) throw syntaxError(firstError, tokens, text);
  return new ToAst(text).query(cst.children);
}

/** Parse a query (README.md, "The query language"); throws QueryError on anything wrong. */
export function parseQuery(text: string): Query {
  if (text.length > MAX_QUERY_CHARS) {
    throw new QueryError(
      `query is longer than ${MAX_QUERY_CHARS} characters`,
      text.slice(0, 80),
      0,
    );
  }
  const lexed = queryLexer.tokenize(text);
  const firstLexError = lexed.errors[0];
  if (firstLexError) throw lexError(text, firstLexError.offset);
  const deep = tooDeep(lexed.tokens, text);
  if (deep) throw deep;
  try {
    return parseTokens(lexed.tokens, text);
  } catch (e) {
    if (e instanceof QueryError) throw e;
    throw new QueryError(`cannot read this query: ${(e as Error).message}`, text, 0);
  }
}
