// A timeline as a terminal histogram: one line per bucket, its start time, a bar scaled so the
// largest bucket fills the space left in `widthChars`, and the count. Bars use eighth blocks for
// precision; any bucket with entries shows at least a sliver. Pure.
import type { StageOutput } from "../query/stage-output.js";
import { bucketTime } from "./item-json.js";

type Bucket = Extract<StageOutput, { kind: "bucket" }>;

/** Below this many columns for the bar a histogram is unreadable; lines then exceed the width. */
const MIN_BAR_CHARS = 10;
const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

export function barText(count: number, max: number, barChars: number): string {
  if (count <= 0 || max <= 0) return "";
  const eighths = Math.max(1, Math.round((count / max) * barChars * 8));
  return "█".repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
}

/** The histogram's lines (without line endings). */
export function histogramLines(buckets: readonly Bucket[], widthChars: number): string[] {
  if (buckets.length === 0) return [];
  const labels = buckets.map((b) => bucketTime(b.startMs));
  const labelChars = Math.max(...labels.map((l) => l.length));
  const max = Math.max(...buckets.map((b) => b.count));
  const countChars = String(max).length;
  const barChars = Math.max(MIN_BAR_CHARS, widthChars - labelChars - countChars - 3);
  return buckets.map((b, i) => {
    const bar = barText(b.count, max, barChars);
    return `${labels[i]!.padEnd(labelChars)} │${bar.padEnd(barChars)} ${String(b.count).padStart(countChars)}`;
  });
}
