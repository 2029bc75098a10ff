// `timeline [INTERVAL]`: how many matched entries fall in each interval of time, from the first
// bucket to the last, empty buckets included (a histogram shows gaps). Without an interval one is
// picked so the span fits in about MAX_AUTO_BUCKETS buckets. Buckets start at multiples of the
// interval since 1970 (UTC). When an explicit interval would need more than MAX_BUCKETS buckets,
// only the non-empty ones are emitted. Emits at the end. Memory: one number per entry.
import { parseInstant } from "../../audit/time-key.js";
import { recordFieldValues } from "../field-values.js";
import type { MatchedRecord } from "../matched-record.js";
import type { StageOutput } from "../stage-output.js";
import { expectRecord } from "./expect-record.js";

/** Automatic intervals aim for at most this many buckets (fits a terminal's height). */
export const MAX_AUTO_BUCKETS = 60;
/** More buckets than this (e.g. `timeline 1s` over a year) are emitted sparsely. */
export const MAX_BUCKETS = 10_000;

const NICE_INTERVALS_MS = [
  1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 10_800_000,
  21_600_000, 43_200_000, 86_400_000, 604_800_000, 2_592_000_000, 31_536_000_000,
];

const TIME = { kind: "field", name: "time", catalog: true, offset: 0 } as const;

/** The smallest nice interval that shows [minMs, maxMs] in at most MAX_AUTO_BUCKETS buckets. */
export function pickInterval(minMs: number, maxMs: number): number {
  for (const ms of NICE_INTERVALS_MS) {
    if (Math.floor(maxMs / ms) - Math.floor(minMs / ms) + 1 <= MAX_AUTO_BUCKETS) return ms;
  }
  return NICE_INTERVALS_MS[NICE_INTERVALS_MS.length - 1]!;
}

/** A moment (ms since 1970) and how many entries fall on it. */
export type TimelinePoint = readonly [ms: number, count: number];

/** The buckets of `timeline` over some points (any order). */
export function* timelineBuckets(
  points: readonly TimelinePoint[],
  intervalMs: number | undefined,
): Generator<StageOutput> {
  if (points.length === 0) return;
  let min = Infinity;
  let max = -Infinity;
  for (const [t] of points) {
    if (t < min) min = t;
    if (t > max) max = t;
  }
  const interval = intervalMs ?? pickInterval(min, max);
  const first = Math.floor(min / interval);
  const last = Math.floor(max / interval);
  if (last - first + 1 <= MAX_BUCKETS) {
    const counts = new Array<number>(last - first + 1).fill(0);
    for (const [t, n] of points) counts[Math.floor(t / interval) - first]! += n;
    for (let i = 0; i < counts.length; i++) {
      yield {
        kind: "bucket",
        startMs: (first + i) * interval,
        intervalMs: interval,
        count: counts[i]!,
      };
    }
    return;
  }
  const sparse = new Map<number, number>();
  for (const [t, n] of points) {
    const b = Math.floor(t / interval);
    sparse.set(b, (sparse.get(b) ?? 0) + n);
  }
  for (const b of [...sparse.keys()].sort((x, y) => x - y)) {
    yield { kind: "bucket", startMs: b * interval, intervalMs: interval, count: sparse.get(b)! };
  }
}

/** The moment of an entry's `time` in ms, or undefined when it has none that parses. */
export function recordTimeMs(record: MatchedRecord): number | undefined {
  const text = recordFieldValues(record, TIME)[0];
  const t = typeof text === "string" ? parseInstant(text) : undefined;
  return t ? t.seconds * 1000 + Math.floor(t.nanos / 1e6) : undefined;
}

export async function* timelineStage(
  input: AsyncIterable<StageOutput>,
  intervalMs: number | undefined,
): AsyncIterable<StageOutput> {
  const points: TimelinePoint[] = [];
  for await (const item of input) {
    const ms = recordTimeMs(expectRecord(item, "timeline"));
    if (ms !== undefined) points.push([ms, 1]);
  }
  yield* timelineBuckets(points, intervalMs);
}
