// What a syntax error says: Chevrotain's error-message hooks, answered in the words of the README
// ("expected a value after `=`", "expected `)`") instead of Chevrotain's token-type dumps.
// Pure and cheap (runs only on a failed parse). Positions are not decided here: parse-query.ts
// reads them from the exception's token and wraps everything in a QueryError.
import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from "chevrotain";
import { Comma, LBracket, QuotedString, RBracket, Word } from "./tokens.js";

export const OPERATORS_TEXT = "=, !=, ^=, ~, <, <=, >, >=, in";

/** How a token looks in a message: `x`, or "the end of the query". */
export function describeToken(token: IToken | undefined): string {
  if (!token || token.tokenType === EOF) return "the end of the query";
  return `\`${token.image}\``;
}

function isStart(previous: IToken | undefined): boolean {
  return (
    !previous || previous.tokenType === EOF || !previous.image || Number.isNaN(previous.startOffset)
  );
}

function after(previous: IToken | undefined): string {
  return isStart(previous) ? "" : ` after \`${previous!.image}\``;
}

function found(actual: IToken | undefined): string {
  return !actual || actual.tokenType === EOF ? "" : `, found ${describeToken(actual)}`;
}

function expectedThing(expected: TokenType, ruleName: string): string {
  if (expected === Word) {
    if (ruleName === "field") return "a field";
    return ruleName === "stage" ? "a number" : "a word";
  }
  if (expected === RBracket) return "`,` or `]`";
  if (expected === Comma) return "`,`";
  if (expected === LBracket) return "`[`";
  return expected.LABEL ?? expected.name;
}

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  "a query": "a query: a predicate like `ip = 10.0.0.1`, `*`, or `| stage`",
  "a predicate": "a predicate like `ip = 10.0.0.1`, `not`, `exists FIELD` or `(`",
  "an operator": `an operator (${OPERATORS_TEXT})`,
  "a CIDR, a list or a subquery":
    "a CIDR, a list `[a, b]` or a subquery `(QUERY | distinct FIELD)`",
  "a value": "a value",
  "a stage": "a stage",
};

export const queryErrorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous, ruleName }) {
    if (expected === QuotedString && ruleName === "hashCall") {
      return `hash() takes a quoted string: hash("plaintext")${found(actual)}`;
    }
    const thing = expectedThing(expected, ruleName);
    const where = thing.startsWith("`") ? "" : after(previous);
    return `expected ${thing}${where}${found(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ customUserDescription, actual, previous }) {
    const thing = DESCRIPTIONS[customUserDescription ?? ""] ?? customUserDescription ?? "more";
    return `expected ${thing}${after(previous)}${found(actual[0])}`;
  },
  buildEarlyExitMessage({ actual, previous, ruleName }) {
    const thing = ruleName === "list" ? "a value" : ruleName === "stage" ? "a field" : "more";
    return `expected ${thing}${after(previous)}${found(actual[0])}`;
  },
};
