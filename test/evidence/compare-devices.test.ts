// compareDevices on two devices' logs written from one stream of entries with different salts
// (test/helpers/two-device-log.ts), in both time behaviours: unchanged, nothing is found; each
// kind of tampering is found, named, and placed. Real files, gzip and worker threads.
import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { beforeAll, describe, expect, test } from "vitest";
import { compareDevices } from "../../src/evidence/compare-devices.js";
import type { CompareFinding } from "../../src/evidence/compare-finding.js";
import { ensureBuilt } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { twoDeviceLog, type TwoDeviceLog } from "../helpers/two-device-log.js";
import { corpusLogs, HAS_CORPUS, noticeIfNoCorpus } from "../helpers/shared-corpus.js";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";

const tempDir = tempDirs("bg-compare-");

beforeAll(ensureBuilt, 120_000);

function write(dir: string, name: string, lines: readonly string[]): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, lines.length === 0 ? "" : lines.join("\n") + "\n");
  return file;
}

async function compareLines(a: readonly string[], b: readonly string[]): Promise<CompareFinding[]> {
  const dir = tempDir();
  const fa = write(dir, "a/audit.log", a);
  const fb = write(dir, "b/audit.log", b);
  return compareFiles([fa], [fb]);
}

async function compareFiles(a: string[], b: string[]): Promise<CompareFinding[]> {
  const findings: CompareFinding[] = [];
  await compareDevices(
    { kind: "files", paths: a },
    { kind: "files", paths: b },
    { gapSeconds: 60, workers: 1, input: "auto", onFinding: (f) => findings.push(f) },
  );
  return findings;
}

const kinds = (fs: readonly CompareFinding[]): string[] =>
  [...new Set(fs.map((f) => f.kind))].sort();

describe.each(["same", "nearest"] as const)("two devices with %s times", (times) => {
  let log: TwoDeviceLog;
  beforeAll(() => {
    log = twoDeviceLog({ requests: 500, times });
  });
  /** A line in the middle of the log, 0-based. */
  const MID = 401;

  test("unchanged, the devices agree: no finding", async () => {
    expect(await compareLines(log.a, log.b)).toEqual([]);
  });

  test("a line deleted from A is an entry on B only, at its line on B", async () => {
    const a = log.a.filter((_, i) => i !== MID);
    const found = await compareLines(a, log.b);
    expect(kinds(found)).toEqual(["only-b"]);
    expect(found).toMatchObject([{ kind: "only-b", b: { line: MID + 1 } }]);
  });

  test("a forged line inserted into A is an entry on A only, at its line", async () => {
    const forged = JSON.parse(log.a[MID]!) as { request: { id: string; path: string } };
    forged.request.id = "f0f0f0f0-0000-4000-8000-000000000000";
    forged.request.path = "sys/policies/acl/admin";
    const a = [...log.a.slice(0, MID + 1), JSON.stringify(forged), ...log.a.slice(MID + 1)];
    const found = await compareLines(a, log.b);
    expect(kinds(found)).toEqual(["only-a"]);
    expect(found).toMatchObject([
      { kind: "only-a", a: { line: MID + 2 }, requestId: forged.request.id },
    ]);
  });

  test("an edited path is a field finding on request.path, at the line on both", async () => {
    const a = [...log.a];
    const entry = JSON.parse(a[MID]!) as { request: { path: string } };
    const was = entry.request.path;
    entry.request.path = "secret/data/other-team";
    a[MID] = JSON.stringify(entry);
    const found = await compareLines(a, log.b);
    expect(found).toMatchObject([
      {
        kind: "field",
        field: "request.path",
        a: { line: MID + 1, value: "secret/data/other-team" },
        b: { line: MID + 1, value: was },
      },
    ]);
  });

  test("an edited remote address is a field finding on request.remote_address", async () => {
    const a = [...log.a];
    const entry = JSON.parse(a[MID]!) as { request: { remote_address: string } };
    entry.request.remote_address = "192.0.2.66";
    a[MID] = JSON.stringify(entry);
    const found = await compareLines(a, log.b);
    expect(found).toMatchObject([
      { kind: "field", field: "request.remote_address", a: { line: MID + 1, value: "192.0.2.66" } },
    ]);
  });

  test("a swapped HMAC token is an hmac finding: A's value pairs with two of B's", async () => {
    const a = [...log.a];
    const entry = JSON.parse(a[MID]!) as { request: { client_token: string } };
    // Another client's token as device A writes it: taken from a line of another client.
    const other = a
      .map((l) => (JSON.parse(l) as { request: { client_token: string } }).request.client_token)
      .find((t) => t !== entry.request.client_token)!;
    entry.request.client_token = other;
    a[MID] = JSON.stringify(entry);
    const found = await compareLines(a, log.b);
    expect(kinds(found)).toEqual(["hmac"]);
    expect(found).toMatchObject([
      { kind: "hmac", field: "request.client_token", a: { line: MID + 1, value: other } },
    ]);
  });

  test("a truncated tail (the last lines gone, one cut mid-line) is a tail and a bad line", async () => {
    const kept = log.b.length - 30;
    const b = [...log.b.slice(0, kept - 1), log.b[kept - 1]!.slice(0, 50)];
    const found = await compareLines(log.a, b);
    expect(kinds(found)).toEqual(["bad-line", "tail"]);
    expect(found).toContainEqual(
      expect.objectContaining({
        kind: "bad-line",
        side: "b",
        at: expect.objectContaining({ line: kept }),
      }),
    );
    expect(found).toContainEqual(
      expect.objectContaining({
        kind: "tail",
        silent: "b",
        entries: 31,
        first: expect.objectContaining({ line: kept }),
      }),
    );
  });

  test("lines reordered are time going backwards on A, where B's is in order", async () => {
    const a = [...log.a];
    [a[MID], a[MID + 6]] = [a[MID + 6]!, a[MID]!];
    const found = await compareLines(a, log.b);
    expect(kinds(found)).toEqual(["backwards"]);
    expect(found.map((f) => f.kind === "backwards" && [f.side, f.at.line])).toEqual(
      expect.arrayContaining([
        ["a", MID + 2],
        ["a", MID + 7],
      ]),
    );
  });

  test("lines in the same odd order on both devices (Vault's own) are no finding", async () => {
    const swap = (lines: readonly string[]): string[] => {
      const out = [...lines];
      [out[MID], out[MID + 1]] = [out[MID + 1]!, out[MID]!];
      return out;
    };
    expect(await compareLines(swap(log.a), swap(log.b))).toEqual([]);
  });

  test("an edited time: a finding when both devices carry one time, within the skew when not", async () => {
    const a = [...log.a];
    const entry = JSON.parse(a[MID]!) as { time: string };
    entry.time = new Date(Date.parse(entry.time) + 2).toISOString();
    a[MID] = JSON.stringify(entry);
    const found = await compareLines(a, log.b);
    if (times === "same") {
      expect(found).toMatchObject([
        { kind: "field", field: "time", a: { line: MID + 1, value: entry.time } },
      ]);
    } else {
      expect(found).toEqual([]);
    }
  });

  test("device A in syslog framing and B as plain JSON lines agree", async () => {
    const a = log.a.map(
      (l, i) => `<134>Nov 20 00:00:${String(i % 60).padStart(2, "0")} vault-0 vault[7]: ${l}`,
    );
    expect(await compareLines(a, log.b)).toEqual([]);
  });

  test("a 10-minute outage of B is one gap, not one finding per entry", async () => {
    const from = log.timeMs[0]! + 5 * 60_000;
    const to = from + 10 * 60_000;
    const b = log.b.filter((_, i) => log.timeMs[i]! < from || log.timeMs[i]! >= to);
    const gone = log.b.length - b.length;
    const found = await compareLines(log.a, b);
    expect(found).toEqual([expect.objectContaining({ kind: "gap", silent: "b", entries: gone })]);
    const gap = found[0] as Extract<CompareFinding, { silent: unknown }>;
    expect(gap.seconds).toBeGreaterThanOrEqual(600);
  });

  test("a gzip rotation on one side only is no finding when the other has the same entries", async () => {
    const dir = tempDir();
    const half = 300;
    mkdirSync(path.join(dir, "a"));
    writeFileSync(
      path.join(dir, "a/audit.log.1.gz"),
      zlib.gzipSync(log.a.slice(0, half).join("\n") + "\n"),
    );
    write(dir, "a/audit.log", log.a.slice(half));
    const fb = write(dir, "b/audit.log", log.b);
    expect(await compareFiles([path.join(dir, "a")], [fb])).toEqual([]);
    // Without the rotated file, B's older entries are on B only: B starts earlier.
    const found = await compareFiles([path.join(dir, "a/audit.log")], [fb]);
    expect(found).toEqual([expect.objectContaining({ kind: "head", silent: "a", entries: half })]);
  });
});

noticeIfNoCorpus("compare");

describe.skipIf(!HAS_CORPUS)("real Vault logs (the shared corpus)", () => {
  test.each(corpusLogs().map((f) => [path.basename(f), f]))(
    "%s against a second device (every HMAC re-keyed): they agree",
    async (_name, file) => {
      // A second salt as a keyed function of the first device's HMAC: one to one, like Vault's.
      const rekey = (v: string): string =>
        "hmac-sha256:" + createHmac("sha256", "device-b").update(v).digest("hex");
      const text = readFileSync(file, "utf8");
      const dir = tempDir();
      const b = path.join(dir, "b.log");
      writeFileSync(b, text.replace(/hmac-sha256:[0-9a-f]{64}/g, rekey));
      expect(await compareFiles([file], [b])).toEqual([]);
    },
  );
});
