// An index's answers against the oracle's: for every (field, value) the oracle knows, the lines of
// the records the index returns must be exactly the oracle's records with that value (as
// multisets of line texts, so record ids never need to line up). Returns the differences as
// readable strings, so one failed assertion shows every wrong answer at once.
import type { LogScan } from "./scan-log.js";

/** The part of openIndex(...) this needs (structural, so the oracle never imports src/). */
export interface PostingsSource {
  postings(field: string, value: string): number[];
  line(id: number): Buffer;
}

function sorted(texts: readonly string[]): string[] {
  return [...texts].sort();
}

/** `field=value: expected N records, got M (first difference …)` for every wrong answer. */
export function postingsMismatches(
  index: PostingsSource,
  scan: LogScan,
  fields: readonly string[],
): string[] {
  const problems: string[] = [];
  for (const field of fields) {
    const byValue = scan.postings.get(field);
    if (!byValue) throw new Error(`the oracle has no postings for ${field}`);
    for (const [value, texts] of byValue) {
      const got = sorted(index.postings(field, value).map((id) => index.line(id).toString("utf8")));
      const want = sorted(texts);
      if (got.length === want.length && got.every((t, i) => t === want[i])) continue;
      const firstDiff = want.findIndex((t, i) => t !== got[i]);
      problems.push(
        `${field}=${JSON.stringify(value)}: expected ${want.length} records, got ${got.length}` +
          (firstDiff >= 0
            ? ` (first missing or different: ${want[firstDiff]!.slice(0, 120)})`
            : ""),
      );
    }
  }
  return problems;
}

/** How many (field, value) pairs the oracle holds for these fields (to show a test checked a lot). */
export function postingsChecked(scan: LogScan, fields: readonly string[]): number {
  return fields.reduce((n, f) => n + (scan.postings.get(f)?.size ?? 0), 0);
}
