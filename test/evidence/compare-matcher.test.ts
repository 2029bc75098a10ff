// CompareMatcher fed batch by batch, as compareDevices feeds it: what it holds while a device is
// silent, and what the silence becomes.
import { describe, expect, test } from "vitest";
import type { DeviceBatch } from "../../src/evidence/compare-device.js";
import type { CompareFinding } from "../../src/evidence/compare-finding.js";
import { compareLines } from "../../src/evidence/compare-lines.js";
import { CompareMatcher } from "../../src/evidence/compare-matcher.js";
import { twoDeviceLog } from "../helpers/two-device-log.js";

function batches(file: string, lines: readonly string[], size: number): DeviceBatch[] {
  const out: DeviceBatch[] = [];
  for (let i = 0; i < lines.length; i += size) {
    const text = lines.slice(i, i + size).join("\n") + "\n";
    out.push({ file, fileNo: 0, firstLine: i + 1, chunk: compareLines(Buffer.from(text)) });
  }
  return out;
}

const start = (b: DeviceBatch): number => Math.min(...b.chunk.timeMs);

describe("CompareMatcher", () => {
  test("during an outage of B, A's entries stop waiting once B's next batch is known to start later", () => {
    const log = twoDeviceLog({ requests: 1500, times: "same" });
    const outFrom = log.timeMs[400]!;
    const outTo = log.timeMs[2600]!;
    const keepB = log.b.filter((_, i) => log.timeMs[i]! < outFrom || log.timeMs[i]! >= outTo);
    const gone = log.b.length - keepB.length;
    const found: CompareFinding[] = [];
    const m = new CompareMatcher(60_000, (f) => found.push(f));
    const a = batches("a.log", log.a, 100);
    const b = batches("b.log", keepB, 400);
    // As compareDevices does: B's first batch, then B's next batch is in hand (after the outage).
    m.add(1, b[0]!, "line");
    m.nextStarts(1, start(b[1]!));
    let most = 0;
    const during = a.filter((batch) => start(batch) < outTo);
    for (const batch of during) {
      m.add(0, batch, "line");
      if (start(batch) >= outFrom) most = Math.max(most, m.waiting);
    }
    // A minute of A's entries and a batch wait; without the look-ahead, every entry of the
    // outage (2,200) would wait for B to write again.
    expect(most).toBeLessThan(200);
    for (const batch of b.slice(1)) m.add(1, batch, "line");
    for (const batch of a.slice(during.length)) m.add(0, batch, "line");
    m.finish();
    expect(found).toEqual([expect.objectContaining({ kind: "gap", silent: "b", entries: gone })]);
  });
});

test("an entry with no time, on one device only, does not hold back the entries after it", () => {
  const log = twoDeviceLog({ requests: 1500, times: "same" });
  const untimed = (lines: readonly string[]): string[] =>
    lines.map((l, i) => (i === 10 ? l.replace(/"time":"[^"]*",/, "") : l));
  const found: CompareFinding[] = [];
  const m = new CompareMatcher(60_000, (f) => found.push(f));
  const a = batches("a.log", untimed(log.a), 100);
  const b = batches(
    "b.log",
    log.b.filter((_, i) => i !== 10),
    100,
  );
  let most = 0;
  for (let i = 0; i < a.length; i++) {
    m.add(0, a[i]!, "line");
    m.add(1, b[i]!, "line");
    most = Math.max(most, m.waiting);
  }
  m.finish();
  expect(found).toEqual([
    expect.objectContaining({ kind: "only-a", a: { file: "a.log", line: 11 } }),
  ]);
  // A minute and a batch of entries at most, not the 3,000 lines after the untimed one.
  expect(most).toBeLessThan(400);
});
