// `compare A B` as a library call: opens both devices (compare-device.ts) on one worker pool,
// merges their batches in time order into the matcher (compare-matcher.ts), and hands every
// finding to `onFinding` as it is found (disagreements between matched entries at once; entries
// without a partner, gaps, heads, tails and HMAC conflicts at the end). Returns the counts.
import type { InputMode } from "../audit/framing/input-mode.js";
import type { CompareFinding } from "./compare-finding.js";
import { CompareMatcher, type CompareCounts } from "./compare-matcher.js";
import {
  openDevice,
  type DeviceBatch,
  type DeviceInput,
  type DeviceReader,
} from "./compare-device.js";
import { ComparePool } from "./compare-pool.js";

export interface CompareOptions {
  /** A window of at least this long with entries on one device only is a gap (seconds). */
  readonly gapSeconds: number;
  readonly workers: number;
  readonly input: InputMode;
  readonly onFinding: (f: CompareFinding) => void;
}

export interface CompareSummary {
  readonly counts: CompareCounts;
  /** Files that could not be read, per device (`path: reason`). */
  readonly problems: readonly string[];
  /** Files skipped on purpose (copies, not audit logs). */
  readonly notes: readonly string[];
  readonly seconds: number;
}

/** The earliest time in a batch (-Infinity when none has one: taken at once). */
function batchStart(batch: DeviceBatch): number {
  let min = Infinity;
  for (const t of batch.chunk.timeMs) if (t < min) min = t;
  return min === Infinity ? -Infinity : min;
}

export async function compareDevices(
  a: DeviceInput,
  b: DeviceInput,
  opts: CompareOptions,
): Promise<CompareSummary> {
  const started = performance.now();
  const pool = new ComparePool(opts.workers);
  const devices: DeviceReader[] = [];
  try {
    devices.push(openDevice("A", a, pool, opts.input));
    devices.push(openDevice("B", b, pool, opts.input));
    const matcher = new CompareMatcher(opts.gapSeconds * 1000, opts.onFinding);
    const streams = devices.map((d) => d.batches());
    const next: (IteratorResult<DeviceBatch> | undefined)[] = [];
    for (const s of streams) next.push(await s.next());
    const done = [false, false];
    for (;;) {
      const live = ([0, 1] as const).filter((i) => !next[i]!.done);
      for (const i of [0, 1] as const) {
        if (next[i]!.done && !done[i]) {
          done[i] = true;
          matcher.ended(i);
        }
      }
      if (live.length === 0) break;
      const side =
        live.length === 1
          ? live[0]!
          : batchStart(next[0]!.value as DeviceBatch) <= batchStart(next[1]!.value as DeviceBatch)
            ? 0
            : 1;
      matcher.add(side, next[side]!.value as DeviceBatch, devices[side]!.unit);
      next[side] = await streams[side]!.next();
      const ahead = next[side]!;
      if (!ahead.done) matcher.nextStarts(side, batchStart(ahead.value));
    }
    const counts = matcher.finish();
    const label = (side: string, list: readonly string[]): string[] =>
      list.map((p) => `${side}: ${p}`);
    return {
      counts,
      problems: [...label("A", devices[0]!.problems), ...label("B", devices[1]!.problems)],
      notes: [...label("A", devices[0]!.notes), ...label("B", devices[1]!.notes)],
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    for (const d of devices) await d.close();
    await pool.close();
  }
}
