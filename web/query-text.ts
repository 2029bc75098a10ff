// How the page edits query text: where the filter ends and the stages begin, how a time range or a
// sidebar click is added to the filter, and how a value is written so that it stays a value (a value
// never becomes query syntax: anything that is not a plain bare word is quoted and escaped).
// Pure string functions, no DOM, so the same rules hold for the URL, the bar and the buttons.

/** Characters of a bare word in the query language (README, "The query language"). */
const BARE_WORD = /^[A-Za-z0-9_\-./:@+]+$/;
/** Reserved words: as values they must be quoted. */
const RESERVED = new Set(["and", "or", "not", "in", "exists"]);

/** `value` as the query language reads it back unchanged: bare when it can be, else a JSON string. */
export function queryValue(value: string): string {
  if (BARE_WORD.test(value) && !RESERVED.has(value.toLowerCase())) return value;
  return JSON.stringify(value);
}

/** The query split at its first `|` outside quotes and parentheses: the filter, then the stages. */
export function splitStages(query: string): { filter: string; stages: string } {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < query.length; i++) {
    const c = query[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (c === "|" && depth === 0) {
      return { filter: query.slice(0, i).trim(), stages: query.slice(i).trim() };
    }
  }
  return { filter: query.trim(), stages: "" };
}

/** The names of the query's stages, in order (`count by ip | limit 3` → ["count", "limit"]). */
export function stageNames(query: string): string[] {
  const { stages } = splitStages(query);
  if (!stages) return [];
  const names: string[] = [];
  let rest = stages;
  while (rest.startsWith("|")) {
    const next = splitStages(rest.slice(1));
    const word = /^\s*([A-Za-z]+)/.exec(next.filter);
    if (word) names.push(word[1]!.toLowerCase());
    rest = next.stages;
  }
  return names;
}

/** The query with `condition` and-ed onto its filter, before any stage. */
export function andFilter(query: string, condition: string): string {
  const { filter, stages } = splitStages(query);
  const joined = filter
    ? `${needsParens(filter) ? `(${filter})` : filter} and ${condition}`
    : condition;
  return stages ? `${joined} ${stages}` : joined;
}

/** `F = V`, or `not F = V`, for a sidebar click. */
export function fieldCondition(field: string, value: string, negate: boolean): string {
  return `${negate ? "not " : ""}${field} = ${queryValue(value)}`;
}

/** A top-level `or` would bind looser than the added `and`: such a filter gets parentheses. */
function needsParens(filter: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (depth === 0 && /\s/.test(filter[i - 1] ?? " ") && /^or\s/i.test(filter.slice(i))) {
      return true;
    }
  }
  return false;
}

/** Where a server error offset in the query that ran falls in the text the user typed. */
export function typedOffset(
  typed: string,
  ran: string,
  offset: number | undefined,
): number | undefined {
  if (offset === undefined || typed === ran) return offset;
  const { filter, stages } = splitStages(typed);
  const f = ran.indexOf(filter);
  if (filter && f >= 0 && offset >= f && offset <= f + filter.length)
    return typed.indexOf(filter) + offset - f;
  const s = stages ? ran.lastIndexOf(stages) : -1;
  if (s >= 0 && offset >= s) return typed.lastIndexOf(stages) + offset - s;
  return undefined;
}

/**
 * The query whose leases the revoke panel offers: the query itself when it ends in `leases`,
 * else its filter (the leases of `ip = X | count by path` are those of `ip = X`).
 */
export function leaseQuery(query: string): string {
  return stageNames(query).at(-1) === "leases" ? query : splitStages(query).filter;
}
