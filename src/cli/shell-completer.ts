// What can come next at the cursor of a `breakglass shell` line? Tab completion from our own
// catalog: field names (audit/field-catalog.ts), stage names after `|` (query/tokens.ts),
// operators after a field, `and`/`or`/`|` after a value, and the backslash commands.
// Contract: pure and total: any text (half a quoted string, unbalanced brackets) gives an answer,
// never an exception. It follows the grammar loosely with a small state machine over a rough
// tokenization; it need not accept only valid queries, only suggest what could come next.
// Chevrotain's computeContentAssist is not used (dropped in chevrotain 12, see STYLE.md).
import { FIELDS } from "../audit/field-catalog.js";
import { STAGE_NAMES } from "../query/tokens.js";
import { SHELL_COMMANDS, SHELL_FORMATS } from "./shell-commands.js";

/** Comparison operators, in the order they are offered. */
export const OPERATORS = ["=", "!=", "^=", "~", "<", "<=", ">", ">=", "in"] as const;

const FIELD_NAMES: readonly string[] = FIELDS.map((f) => f.name);
const EXPR_START_WORDS = ["not", "exists"];

/** Where the parser would be after the tokens before the word being typed. */
type State =
  | "exprStart" // a predicate, `not`, `exists` or `(` comes next
  | "existsField" // the field after `exists`
  | "operator" // after a field
  | "value" // after an operator
  | "afterValue" // `and`, `or`, `|`, `)`
  | "stage" // after `|`
  | "afterCount" // `by` or `|`
  | "topN" // after `top`: a number
  | "stageField" // the field of `distinct`, `count by`, `top N`
  | "sortField" // the field of `sort`
  | "fieldsList" // a field of `fields`, after `fields` or `,`
  | "afterSort" // `desc`, `asc`, `|`
  | "afterFields" // `,` or `|`
  | "afterStage" // `|`
  | "none"; // nothing to offer (inside a list, a hash() call or a quoted string)

type Frame = "group" | "subquery" | "list" | "call";

interface Token {
  readonly text: string;
  readonly kind: "word" | "string" | "openString" | "op" | "punct";
}

const WORD_CHARS = /[A-Za-z0-9_\-./:@+]/;
const OP_CHARS = /[!^<>=~]/;
const PARTIAL_WORD = /[A-Za-z0-9_\-./:@+]*$/;
const PARTIAL_OP = /[!^<>=~]+$/;

/** The query's tokens; a quoted string missing its closing quote is an `openString`. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === "\\" ? 2 : 1;
      tokens.push({ text: text.slice(i, j + 1), kind: j < text.length ? "string" : "openString" });
      i = j + 1;
    } else if (WORD_CHARS.test(c)) {
      let j = i;
      while (j < text.length && WORD_CHARS.test(text[j]!)) j++;
      tokens.push({ text: text.slice(i, j), kind: "word" });
      i = j;
    } else if (OP_CHARS.test(c)) {
      let j = i;
      while (j < text.length && OP_CHARS.test(text[j]!)) j++;
      tokens.push({ text: text.slice(i, j), kind: "op" });
      i = j;
    } else {
      tokens.push({ text: c, kind: "punct" });
      i++;
    }
  }
  return tokens;
}

/** The parser state after `tokens`, with a stack of brackets so `)` returns to the right place. */
function stateAfter(tokens: readonly Token[]): State {
  let state: State = "exprStart";
  const stack: Frame[] = [];
  let prevWord = "";
  for (const t of tokens) {
    const word = t.kind === "word" ? t.text.toLowerCase() : "";
    const top = stack[stack.length - 1];
    if (t.kind === "openString") return "none";
    if (top === "list" || top === "call") {
      // Values only until the bracket closes; nested brackets are tracked, nothing offered.
      if (t.text === "(") stack.push("call");
      else if (t.text === "[") stack.push("list");
      else if ((t.text === ")" && top === "call") || (t.text === "]" && top === "list")) {
        stack.pop();
        const outer = stack[stack.length - 1];
        if (outer !== "list" && outer !== "call") state = "afterValue";
      }
    } else if (t.kind !== "punct") {
      state = step(state, t, word);
    } else if (t.text === "(") {
      // `hash("…")` is a value; `in (QUERY)` a subquery; anything else a group.
      if (state === "afterValue" && prevWord === "hash") {
        stack.push("call");
      } else {
        stack.push(state === "value" ? "subquery" : "group");
        state = "exprStart";
      }
    } else if (t.text === ")") {
      stack.pop();
      state = "afterValue";
    } else if (t.text === "[") {
      stack.push("list");
    } else if (t.text === "|") {
      state = "stage";
    } else if (t.text === "," && (state === "afterFields" || state === "fieldsList")) {
      state = "fieldsList";
    } else {
      state = "none";
    }
    prevWord = word;
  }
  const top = stack[stack.length - 1];
  return top === "list" || top === "call" ? "none" : state;
}

/** The state after one word, string or operator token. */
function step(state: State, t: Token, word: string): State {
  const isWord = t.kind === "word";
  switch (state) {
    case "exprStart":
      if (word === "not") return "exprStart";
      if (word === "exists") return "existsField";
      return isWord ? "operator" : "none";
    case "existsField":
      return isWord ? "afterValue" : "none";
    case "operator":
      return t.kind === "op" || word === "in" ? "value" : "none";
    case "value":
      return "afterValue";
    case "afterValue":
      return word === "and" || word === "or" ? "exprStart" : "none";
    case "stage":
      if (word === "count") return "afterCount";
      if (word === "top") return "topN";
      if (word === "distinct") return "stageField";
      if (word === "sort") return "sortField";
      if (word === "fields") return "fieldsList";
      return isWord ? "afterStage" : "none";
    case "afterCount":
      return word === "by" ? "stageField" : "none";
    case "topN":
      return isWord ? "stageField" : "none";
    case "stageField":
      return isWord ? "afterStage" : "none";
    case "sortField":
      return isWord ? "afterSort" : "none";
    case "fieldsList":
      return isWord ? "afterFields" : "none";
    case "afterSort":
      return word === "desc" || word === "asc" ? "afterStage" : "none";
    case "afterStage":
    case "afterFields":
    case "none":
      return "none";
  }
}

/** What may be typed in each state (words are filtered by the prefix being typed). */
function candidates(state: State): readonly string[] {
  switch (state) {
    case "exprStart":
      return [...FIELD_NAMES, ...EXPR_START_WORDS];
    case "existsField":
    case "stageField":
    case "sortField":
    case "fieldsList":
      return FIELD_NAMES;
    case "operator":
      return OPERATORS;
    case "afterValue":
      return ["and", "or", "|"];
    case "stage":
      return STAGE_NAMES;
    case "afterCount":
      return ["by", "|"];
    case "afterSort":
      return ["desc", "asc", "|"];
    case "afterFields":
      return [",", "|"];
    case "afterStage":
      return ["|"];
    case "value":
    case "topN":
    case "none":
      return [];
  }
}

/**
 * Completions of a query typed up to the cursor, in readline's shape: the candidates and the
 * text at the end of `line` they replace (readline inserts the rest of a unique candidate).
 */
export function completeQuery(line: string): [string[], string] {
  const partial = PARTIAL_OP.exec(line)?.[0] ?? PARTIAL_WORD.exec(line)?.[0] ?? "";
  const state = stateAfter(tokenize(line.slice(0, line.length - partial.length)));
  const isOp = partial !== "" && OP_CHARS.test(partial[0]!);
  const hits = candidates(state).filter(
    (c) => c.startsWith(partial) && (!isOp || OP_CHARS.test(c[0]!)),
  );
  return [hits, partial];
}

/** Completions of a whole shell line: a backslash command, its argument, or a query. */
export function completeShellLine(line: string): [string[], string] {
  const command = /^\s*(\\\S*)$/.exec(line);
  if (command) {
    const typed = command[1]!;
    return [SHELL_COMMANDS.map((c) => `\\${c.name}`).filter((c) => c.startsWith(typed)), typed];
  }
  const withArg = /^\s*\\(\S+)\s+([\s\S]*)$/.exec(line);
  if (withArg) {
    const name = withArg[1]!;
    const rest = withArg[2]!;
    if (name === "explain") return completeQuery(rest);
    if (name === "format") {
      const typed = PARTIAL_WORD.exec(rest)?.[0] ?? "";
      if (typed !== rest.trimStart()) return [[], typed];
      return [SHELL_FORMATS.filter((f) => f.startsWith(typed)), typed];
    }
    return [[], ""];
  }
  return completeQuery(line);
}
