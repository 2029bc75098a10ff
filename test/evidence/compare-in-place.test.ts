// Entries read in place (the workers' fast path, compare-in-place.ts) against a plain
// single-threaded oracle: every line parsed and flattened on this thread (compareLines without
// in-place reading, each device's file as one batch) and fed to the matcher. For each kind of
// tampering, and for lines written in ways the fast path must not take at face value (escapes,
// keys that look like HMACs, other key orders and spacing, non-ASCII text, duplicate keys),
// compareDevices with two workers finds exactly what the oracle finds.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { compareDevices } from "../../src/evidence/compare-devices.js";
import type { CompareFinding } from "../../src/evidence/compare-finding.js";
import {
  InPlaceBuilder,
  sameOutsideMasks,
  type InPlaceColumns,
} from "../../src/evidence/compare-in-place.js";
import { compareLines } from "../../src/evidence/compare-lines.js";
import { CompareMatcher, MAX_HELD_CHUNKS } from "../../src/evidence/compare-matcher.js";
import type { DeviceBatch } from "../../src/evidence/compare-device.js";
import { ensureBuilt } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { twoDeviceLog, type TwoDeviceLog } from "../helpers/two-device-log.js";

const tempDir = tempDirs("bg-compare-in-place-");

beforeAll(ensureBuilt, 120_000);

type Entry = Record<string, unknown> & {
  time: string;
  request: Record<string, unknown>;
  auth?: Record<string, unknown>;
};

/** The oracle: both files parsed and flattened here, one batch a device, one matcher. */
function oracle(fileA: string, fileB: string): CompareFinding[] {
  const found: CompareFinding[] = [];
  const m = new CompareMatcher(60_000, (f) => found.push(f));
  for (const [side, file] of [fileA, fileB].entries()) {
    const chunk = compareLines(readFileSync(file));
    m.add(side as 0 | 1, { file, fileNo: 0, firstLine: 1, chunk }, "line");
  }
  m.finish();
  return found;
}

async function inWorkers(fileA: string, fileB: string): Promise<CompareFinding[]> {
  const found: CompareFinding[] = [];
  await compareDevices(
    { kind: "files", paths: [fileA] },
    { kind: "files", paths: [fileB] },
    { gapSeconds: 60, workers: 2, input: "auto", onFinding: (f) => found.push(f) },
  );
  return found;
}

const sorted = (fs: readonly CompareFinding[]): string[] => fs.map((f) => JSON.stringify(f)).sort();

const edit = (lines: string[], i: number, change: (e: Entry) => void): void => {
  const e = JSON.parse(lines[i]!) as Entry;
  change(e);
  lines[i] = JSON.stringify(e);
};

/** A line with its keys in another order (time last), the same entry once parsed. */
const timeLast = (line: string): string => {
  const { time, ...rest } = JSON.parse(line) as Entry;
  return JSON.stringify({ ...rest, time });
};

const MID = 301;

/** Another client's token as the device of `lines` writes it (not the one of line `i`). */
const otherToken = (lines: readonly string[], i: number): unknown => {
  const own = (JSON.parse(lines[i]!) as Entry).request.client_token;
  return lines.map((l) => (JSON.parse(l) as Entry).request.client_token).find((t) => t !== own);
};

/** The line with a second `path` key before request.path: `first`, then `later` (or the path). */
const duplicatePath = (line: string, first: string, later?: string): string =>
  line.replace(/"path":"([^"]*)"/, (_m, p: string) => `"path":"${first}","path":"${later ?? p}"`);

/**
 * Each tampering or odd writing, as a change to device A's and B's lines, and whether the oracle
 * must find something ("same": only when both devices carry one time).
 */
const CASES: [string, (a: string[], b: string[], log: TwoDeviceLog) => void, boolean | "same"][] = [
  ["unchanged", () => {}, false],
  ["a deleted line", (a) => void a.splice(MID, 1), true],
  [
    "an inserted forged line",
    (a) => {
      const forged = JSON.parse(a[MID]!) as Entry;
      forged.request.id = "f0f0f0f0-0000-4000-8000-000000000000";
      a.splice(MID + 1, 0, JSON.stringify(forged));
    },
    true,
  ],
  ["an edited path", (a) => edit(a, MID, (e) => (e.request.path = "sys/raw/core")), true],
  [
    "an edited remote address",
    (a) => edit(a, MID, (e) => (e.request.remote_address = "192.0.2.66")),
    true,
  ],
  [
    "a swapped HMAC token",
    (a) => {
      edit(a, MID, (e) => (e.request.client_token = otherToken(a, MID)));
    },
    true,
  ],
  [
    "the same HMAC swapped into many entries",
    (a) => {
      const other = (JSON.parse(a[3]!) as Entry).request.client_token;
      for (let i = MID; i < MID + 60; i += 7) edit(a, i, (e) => (e.request.client_token = other));
    },
    true,
  ],
  [
    "an edited time",
    (a) => edit(a, MID, (e) => (e.time = new Date(Date.parse(e.time) + 2).toISOString())),
    "same",
  ],
  ["a truncated tail", (_a, b) => void b.splice(b.length - 30, 30, b.at(-30)!.slice(0, 50)), true],
  ["lines reordered", (a) => void ([a[MID], a[MID + 6]] = [a[MID + 6]!, a[MID]!]), true],
  [
    "a 10-minute outage of B",
    (_a, b, log) => {
      const from = log.timeMs[0]! + 5 * 60_000;
      const kept = b.filter((_, i) => log.timeMs[i]! < from || log.timeMs[i]! >= from + 600_000);
      b.splice(0, b.length, ...kept);
    },
    true,
  ],
  [
    "a field added",
    (a) => edit(a, MID, (e) => (e.request.data = { note: "added", n: [1, { x: null }] })),
    true,
  ],
  ["keys in another order (time last)", (a) => void (a[MID] = timeLast(a[MID]!)), false],
  [
    "keys in another order and a path edited",
    (a) => {
      edit(a, MID, (e) => (e.request.path = "sys/raw/core"));
      a[MID] = timeLast(a[MID]!);
    },
    true,
  ],
  ["spaces after colons", (a) => void (a[MID] = a[MID]!.replaceAll('":', '": ')), false],
  [
    "an HMAC written with an escape",
    (a) => void (a[MID] = a[MID]!.replace('"hmac-sha256:', '"\\u0068mac-sha256:')),
    false,
  ],
  [
    "an HMAC written with an escape, and another HMAC swapped",
    (a) => {
      edit(a, MID, (e) => (e.request.client_token = otherToken(a, MID)));
      a[MID] = a[MID]!.replace('"hmac-sha256:', '"\\u0068mac-sha256:');
    },
    true,
  ],
  [
    "an HMAC as a key",
    (a, b) => {
      for (const lines of [a, b]) {
        edit(lines, MID, (e) => (e.request.data = { [String(e.request.client_token)]: 1 }));
      }
    },
    true, // A's and B's keys differ: two fields, each on one device only
  ],
  [
    "an HMAC in a time field, not the top-level one",
    (a, b) => {
      for (const lines of [a, b])
        edit(lines, MID, (e) => (e.request.time = e.request.client_token));
    },
    false,
  ],
  [
    "non-ASCII text on both devices, and edited on A",
    (a, b) => {
      for (const lines of [a, b]) {
        edit(lines, MID, (e) => (e.request.path = "secret/data/José"));
        edit(lines, MID + 2, (e) => (e.request.path = "secret/data/Zoë"));
      }
      edit(a, MID + 2, (e) => (e.request.path = "secret/data/Zoé"));
    },
    true,
  ],
  [
    "integer-like keys before HMAC values (walked first), consistent on both devices",
    (a, b) => {
      for (const lines of [a, b]) {
        for (let i = MID; i < MID + 20; i++) {
          edit(lines, i, (e) => {
            e.request.data = { z: e.request.client_token, "7": e.request.client_token_accessor };
          });
        }
      }
    },
    false,
  ],
  [
    "integer-like keys with a swapped HMAC",
    (a, b) => {
      const other = otherToken(a, MID + 5);
      for (const lines of [a, b]) {
        for (let i = MID; i < MID + 20; i++) {
          edit(lines, i, (e) => {
            e.request.data = { z: e.request.client_token, "7": e.request.client_token_accessor };
          });
        }
      }
      edit(a, MID + 5, (e) => ((e.request.data as Record<string, unknown>)["7"] = other));
    },
    true,
  ],
  [
    "duplicate keys whose first values differ (the later one wins)",
    (a, b) => {
      a[MID] = duplicatePath(a[MID]!, "first-on-a");
      b[MID] = duplicatePath(b[MID]!, "first-on-b");
    },
    false,
  ],
  [
    "duplicate keys on both devices, the later value edited on A",
    (a, b) => {
      a[MID] = duplicatePath(a[MID]!, "first", "edited");
      b[MID] = duplicatePath(b[MID]!, "first");
    },
    true,
  ],
  [
    "CRLF line endings on A, a syslog prefix on B, and an edit",
    (a, b) => {
      edit(a, MID, (e) => (e.request.remote_address = "192.0.2.66"));
      for (let i = 0; i < a.length; i++) a[i] = a[i]! + "\r";
      for (let i = 0; i < b.length; i++) b[i] = `<134>Nov 20 00:00:00 vault-0 vault[7]: ${b[i]}`;
    },
    true,
  ],
];

describe.each(["same", "nearest"] as const)("two devices with %s times", (times) => {
  let log: TwoDeviceLog;
  beforeAll(() => {
    log = twoDeviceLog({ requests: 400, times, seed: 23 });
  });

  test.each(CASES)(
    "%s: the workers find what the oracle finds",
    async (_name, change, tampered) => {
      const a = [...log.a];
      const b = [...log.b];
      change(a, b, log);
      const dir = tempDir();
      const fileA = path.join(dir, "a.log");
      const fileB = path.join(dir, "b.log");
      writeFileSync(fileA, a.join("\n") + "\n");
      writeFileSync(fileB, b.join("\n") + "\n");
      const expected = oracle(fileA, fileB);
      expect(expected.length > 0).toBe(tampered === "same" ? times === "same" : tampered);
      expect(sorted(await inWorkers(fileA, fileB))).toEqual(sorted(expected));
    },
  );
});

describe("sameOutsideMasks", () => {
  const columns = (text: string): { bytes: Buffer; columns: InPlaceColumns } => {
    const builder = new InPlaceBuilder();
    expect(builder.addInPlace(text, JSON.parse(text) as Record<string, unknown>, 0)).toBe(true);
    return { bytes: Buffer.from(text, "latin1"), columns: builder.finish() };
  };
  const h = (c: string): string => `hmac-sha256:${c.repeat(64)}`;
  const entry = (time: string, token: string, path: string, extra = ""): string =>
    `{"time":"${time}","type":"request","auth":{"client_token":"${token}"},"request":{"id":"r1","path":"${path}"${extra}}}`;

  test.each([
    [
      "other time and HMAC values: the same outside the masks",
      entry("t1", h("a"), "p"),
      entry("t2.5", h("b"), "p"),
      true,
    ],
    ["another path", entry("t1", h("a"), "p"), entry("t1", h("a"), "q"), false],
    ["a path one byte longer", entry("t1", h("a"), "p"), entry("t1", h("a"), "pp"), false],
    ["a field more", entry("t1", h("a"), "p"), entry("t1", h("a"), "p", ',"x":1'), false],
    [
      "an HMAC where the other has a plain string",
      entry("t1", h("a"), "p"),
      entry("t1", "hmac", "p"),
      false,
    ],
  ])("%s", (_name, x, y, same) => {
    expect(sameOutsideMasks(columns(x), 0, columns(y), 0)).toBe(same);
  });

  test("a token that is not a plain HMAC value is not read in place", () => {
    for (const text of [
      entry("t", `${h("a").slice(0, 20)}\\u0041`, "p"), // an escape inside the token
      `{"type":"request","request":{"id":"r","data":{"${h("a")}":1}}}`, // an HMAC as a key
      `{"type":"request","request":{"id":"r","path":"x\\"${h("a")}"}}`, // inside another string
    ]) {
      const builder = new InPlaceBuilder();
      expect(builder.addInPlace(text, JSON.parse(text) as Record<string, unknown>, 0)).toBe(false);
    }
  });
});

describe("the memory of entries read in place", () => {
  /** Lines as batches of `size`, read in place from shared memory; counts the releases. */
  function inPlaceBatches(
    file: string,
    lines: readonly string[],
    size: number,
    freed: Set<number>,
  ) {
    const out: DeviceBatch[] = [];
    for (let i = 0; i < lines.length; i += size) {
      const text = Buffer.from(lines.slice(i, i + size).join("\n") + "\n");
      const bytes = Buffer.from(new SharedArrayBuffer(text.length));
      text.copy(bytes);
      const id = out.length;
      out.push({
        file,
        fileNo: 0,
        firstLine: i + 1,
        chunk: compareLines(bytes, "auto", undefined, true),
        bytes,
        release: () => {
          expect(freed.has(id)).toBe(false); // released once
          freed.add(id);
        },
      });
    }
    return out;
  }

  test("entries that wait to the end (far ahead in time) hold at most a few chunks, same findings", () => {
    const log = twoDeviceLog({ requests: 1000, times: "same", seed: 3 });
    const a = [...log.a];
    // A forged entry far in the future every 80 lines: each waits to the end, never matched.
    for (let i = a.length - 80; i > 0; i -= 80) {
      const forged = JSON.parse(a[i]!) as Entry;
      forged.time = new Date(Date.UTC(2099, 0, 1, 0, 0, i)).toISOString();
      forged.request.id = `forged-${i}`;
      a.splice(i, 0, JSON.stringify(forged));
    }
    const freedA = new Set<number>();
    const freedB = new Set<number>();
    const batchesA = inPlaceBatches("a.log", a, 40, freedA);
    const batchesB = inPlaceBatches("b.log", log.b, 40, freedB);
    const found: CompareFinding[] = [];
    const m = new CompareMatcher(60_000, (f) => found.push(f));
    let most = 0;
    for (let i = 0; i < Math.max(batchesA.length, batchesB.length); i++) {
      if (batchesA[i]) m.add(0, batchesA[i]!, "line");
      if (batchesB[i]) m.add(1, batchesB[i]!, "line");
      most = Math.max(most, m.chunksHeld);
    }
    m.finish();
    expect(batchesA.length).toBeGreaterThan(2 * MAX_HELD_CHUNKS);
    expect(most).toBeLessThanOrEqual(2 * MAX_HELD_CHUNKS);
    expect(freedA.size).toBe(batchesA.length);
    expect(freedB.size).toBe(batchesB.length);
    expect(m.chunksHeld).toBe(0);

    // The oracle: the same batches, flattened.
    const oracleFound: CompareFinding[] = [];
    const o = new CompareMatcher(60_000, (f) => oracleFound.push(f));
    const flat = (b: DeviceBatch): DeviceBatch => ({
      ...b,
      chunk: compareLines(b.bytes!),
      bytes: undefined,
      release: undefined,
    });
    for (let i = 0; i < Math.max(batchesA.length, batchesB.length); i++) {
      if (batchesA[i]) o.add(0, flat(batchesA[i]!), "line");
      if (batchesB[i]) o.add(1, flat(batchesB[i]!), "line");
    }
    o.finish();
    // After B's last entry: one tail of the forged entries (and time going backwards after each).
    expect(found).toContainEqual(
      expect.objectContaining({ kind: "tail", silent: "b", entries: a.length - log.a.length }),
    );
    expect(sorted(found)).toEqual(sorted(oracleFound));
  });
});
