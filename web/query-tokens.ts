// The query cut into coloured spans for the bar's highlighting. A display-only lexer that mirrors the
// server's token rules (bare words, quoted strings, operators, keywords, stage names) closely enough
// to colour them; it never decides what a query means (the server parses, and reports errors).
// Every character of the input lands in exactly one span, so the overlay lines up with the text.

export type TokenClass =
  "keyword" | "stage" | "field" | "operator" | "string" | "value" | "pipe" | "space" | "other";

export interface Span {
  readonly text: string;
  readonly cls: TokenClass;
}

const KEYWORDS = new Set(["and", "or", "not", "in", "exists", "by", "asc", "desc", "hash"]);
const STAGES = new Set([
  "leases",
  "distinct",
  "count",
  "top",
  "fields",
  "sort",
  "limit",
  "timeline",
  "pair",
]);
const RULES: readonly [RegExp, TokenClass][] = [
  [/^\s+/, "space"],
  [/^"(?:[^"\\]|\\[\s\S])*"?|^'(?:[^'\\]|\\[\s\S])*'?/, "string"],
  [/^\|/, "pipe"],
  [/^(?:!=|\^=|<=|>=|=|~|<|>)/, "operator"],
  [/^[()[\],]/, "operator"],
  [/^[A-Za-z0-9_\-./:@+]+/, "value"],
];

/** The spans of `query`; a word before an operator (or after `exists`/`by`) is a field. */
export function querySpans(query: string): Span[] {
  const spans: Span[] = [];
  let rest = query;
  let afterPipe = false;
  while (rest.length > 0) {
    let matched = false;
    for (const [re, cls] of RULES) {
      const m = re.exec(rest);
      if (!m) continue;
      const text = m[0];
      spans.push({
        text,
        cls: cls === "value" ? wordClass(text, rest.slice(text.length), spans, afterPipe) : cls,
      });
      if (cls === "pipe") afterPipe = true;
      else if (cls !== "space") afterPipe = false;
      rest = rest.slice(text.length);
      matched = true;
      break;
    }
    if (!matched) {
      spans.push({ text: rest[0]!, cls: "other" });
      rest = rest.slice(1);
    }
  }
  return spans;
}

function wordClass(
  word: string,
  after: string,
  before: readonly Span[],
  afterPipe: boolean,
): TokenClass {
  const lower = word.toLowerCase();
  if (afterPipe && STAGES.has(lower)) return "stage";
  if (KEYWORDS.has(lower) && !/^\s*(?:!=|\^=|<=|>=|=|~|<|>)/.test(after)) return "keyword";
  if (/^\s*(?:!=|\^=|<=|>=|=|~|<|>|in\b)/.test(after)) return "field";
  const previous = [...before].reverse().find((s) => s.cls !== "space");
  if (previous && (previous.cls === "keyword" || previous.cls === "stage")) {
    const p = previous.text.toLowerCase();
    if (p === "exists" || p === "by" || p === "distinct" || p === "fields" || p === "sort")
      return "field";
  }
  return "value";
}
