// How is a user's regular expression (`field ~ "pattern"`, an alert rule, any API that takes a
// pattern) matched without letting the pattern take the machine? Through RE2 (the re2js port,
// pure JS, so it runs in scan workers too): a test costs time linear in the text, whatever the
// pattern. V8's RegExp backtracks: `(a+)+$` over a value of 50,000 `a`s and a `!` did not end
// in minutes, and as an alert rule it froze live indexing. Every user pattern goes through
// compileSafeRegex; nothing in the query path may call `new RegExp` on user text.
//
// Semantics (README.md, query language): an unanchored search, case-sensitive, `^`/`$` at the
// ends of the value, `.` any character but `\n`. Most JavaScript patterns mean the same in RE2;
// RE2 adds `(?i)` and `\pL`, has no backreferences and no lookaround (a query error that names
// the construct, never a crash), and spells a code point `\x{263A}`, not `\u263A`.
// Cost, measured on a generated 50 MB log against V8's RegExp (in process, loaded 2-core VM):
// a test is 1.1-2.3x slower (0.1-1 µs a value); dictionary scans (`path ~`, `error ~`) take
// 2.5-25 ms instead of 0.7-20 ms; entry scans (dotted paths, `time ~`) 1.1-1.2x, where the JSON
// parse of each record dominates. Compiling is well under a millisecond.
import { createRequire } from "node:module";
import type * as Re2js from "re2js";
import { QueryError } from "../errors.js";

/** A pattern compiled once; `test` says whether it matches anywhere in `text`, in linear time. */
export interface SafeRegex {
  readonly source: string;
  test(text: string): boolean;
}

export const REGEX_SYNTAX_HINT = "breakglass uses RE2 syntax: no backreferences or lookaround";

let re2js: typeof Re2js | undefined;

/**
 * re2js, loaded by the first pattern: bundled into the bin, its ~300 KB cost every start, `~` or
 * not (`--version`: +70 ms CPU on the loaded VM); loaded here it costs a regex query ~45 ms CPU
 * there. require, not import(): the bin runs as a vm.Script with a code cache, where Node 20
 * loses the dynamic-import callback (as for piscina in scan-pool.ts).
 */
function engine(): typeof Re2js {
  return (re2js ??= createRequire(import.meta.url)("re2js") as typeof Re2js);
}

/** What RE2 could not parse, said in words a user of JavaScript or PCRE patterns recognizes. */
function syntaxProblem(err: Re2js.RE2JSSyntaxException): string {
  const what = err.getDescription();
  const fragment = err.getPattern() ?? "";
  if (/^\(\?[=!]/.test(fragment)) return `lookahead \`${fragment.slice(0, 3)}\` is not supported`;
  if (/^\(\?<[=!]/.test(fragment)) return `lookbehind \`${fragment.slice(0, 4)}\` is not supported`;
  if (what === "invalid escape sequence" && /^\\[1-9k]/.test(fragment))
    return `backreference \`${fragment}\` is not supported`;
  return fragment === "" ? what : `${what}: \`${fragment}\``;
}

/**
 * `pattern` compiled for testing values. A pattern RE2 rejects throws a QueryError with the caret
 * at `offset` in `query` (the pattern's place in the query the user wrote).
 */
export function compileSafeRegex(pattern: string, query: string, offset: number): SafeRegex {
  const { RE2JS, RE2JSException, RE2JSSyntaxException } = engine();
  let re: Re2js.RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    if (!(err instanceof RE2JSException)) throw err;
    const problem = err instanceof RE2JSSyntaxException ? syntaxProblem(err) : err.message;
    throw new QueryError(`bad regular expression: ${problem}`, query, offset, REGEX_SYNTAX_HINT);
  }
  return { source: pattern, test: (text) => re.test(text) };
}
