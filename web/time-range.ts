// The time range the picker and the histogram set: none, relative to now (`time >= now-1h`, the
// language's relative times), or absolute (RFC 3339 bounds, from inclusive, to exclusive). It is
// kept apart from the typed query and added to the filter when the query runs, so the bar shows
// what the user typed and the URL carries both.
import { andFilter } from "./query-text.js";

export type TimeRange =
  | { readonly kind: "all" }
  | { readonly kind: "relative"; readonly last: RelativeSpan }
  | { readonly kind: "absolute"; readonly fromMs: number; readonly toMs: number };

export const RELATIVE_SPANS = ["15m", "1h", "24h", "7d"] as const;
export type RelativeSpan = (typeof RELATIVE_SPANS)[number];

export const ALL_TIME: TimeRange = { kind: "all" };

/** RFC 3339 UTC, without milliseconds when they are zero. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** The condition the range adds to a query ("" for all time). */
export function rangeCondition(range: TimeRange): string {
  switch (range.kind) {
    case "all":
      return "";
    case "relative":
      return `time >= now-${range.last}`;
    case "absolute":
      return `time >= ${isoTime(range.fromMs)} and time < ${isoTime(range.toMs)}`;
  }
}

/** The query the server runs: the typed one with the range and-ed onto its filter. */
export function queryWithRange(query: string, range: TimeRange): string {
  const condition = rangeCondition(range);
  return condition ? andFilter(query, condition) : query;
}

/** A short label for the picker's button. */
export function rangeLabel(range: TimeRange): string {
  switch (range.kind) {
    case "all":
      return "all time";
    case "relative":
      return `last ${range.last}`;
    case "absolute":
      return `${isoTime(range.fromMs)} → ${isoTime(range.toMs)}`;
  }
}

/** The range as URL parameters (`range=1h`, or `from=…&to=…`). */
export function rangeParams(range: TimeRange, params: URLSearchParams): void {
  if (range.kind === "relative") params.set("range", range.last);
  if (range.kind === "absolute") {
    params.set("from", isoTime(range.fromMs));
    params.set("to", isoTime(range.toMs));
  }
}

/** The range a URL holds; all time when it holds none or a bad one. */
export function rangeFromParams(params: URLSearchParams): TimeRange {
  const last = params.get("range");
  if (last && (RELATIVE_SPANS as readonly string[]).includes(last)) {
    return { kind: "relative", last: last as RelativeSpan };
  }
  const fromMs = Date.parse(params.get("from") ?? "");
  const toMs = Date.parse(params.get("to") ?? "");
  if (Number.isFinite(fromMs) && Number.isFinite(toMs) && fromMs < toMs) {
    return { kind: "absolute", fromMs, toMs };
  }
  return ALL_TIME;
}
