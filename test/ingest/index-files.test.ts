// indexFiles, the `index` command's engine, on generated and hand-made logs in a temp dir, with real
// LMDB, piscina threads and gzip. Every answer is checked against the plain-scan oracle
// (test/oracle/scan-log.ts): what is indexed, which lines are bad, and which records each field
// value finds.
import {
  appendFileSync,
  copyFileSync,
  readFileSync,
  renameSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { openIndex, type BreakglassIndex } from "../../src/index-api.js";
import { indexFiles, type IndexOptions, type IndexSummary } from "../../src/ingest/index-files.js";
import { postingsMismatches } from "../oracle/compare-postings.js";
import { ORACLE_FIELD_NAMES, scanLogs, type LogScan } from "../oracle/scan-log.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-ingest-");
const SALT = "ingest-test-salt";
/** Small chunks so that even small logs cross chunk (and segment) boundaries. */
const SMALL_CHUNKS: IndexOptions = { workers: 2, chunkBytes: 64 << 10 };

function auditLines(seed: number, targetBytes: number): string[] {
  return [...generateAuditLines({ seed, targetBytes, salt: SALT })];
}

function logText(lines: readonly string[], eol = "\n"): string {
  return lines.map((l) => l + eol).join("");
}

/** A fresh directory with `name` holding `content`; returns the file's path and an index dir. */
function logFile(name: string, content: string | Buffer): { file: string; db: string } {
  const dir = tempDir();
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return { file, db: path.join(dir, "db") };
}

async function withIndex<T>(db: string, use: (ix: BreakglassIndex) => T): Promise<T> {
  const ix = openIndex(db);
  try {
    return use(ix);
  } finally {
    await ix.close();
  }
}

function allLines(ix: BreakglassIndex): string[] {
  return Array.from({ length: ix.recordCount }, (_, id) => ix.line(id).toString("utf8"));
}

/** What an index holds, in the terms the oracle speaks: record texts in order, and mismatches. */
async function checkAgainstOracle(
  db: string,
  scan: LogScan,
  fields: readonly string[] = ORACLE_FIELD_NAMES,
): Promise<{ lines: string[]; mismatches: string[] }> {
  return withIndex(db, (ix) => ({
    lines: allLines(ix),
    mismatches: postingsMismatches(ix, scan, fields),
  }));
}

function badLineRefs(summary: IndexSummary): string[] {
  return summary.firstBadLines.map((b) => `${path.basename(b.file)}:${b.line}`);
}

describe("a gzip file and its plain original", () => {
  test("give identical indexes: the same records, postings answers and stats counts", async () => {
    const text = logText(auditLines(11, 1_500_000));
    const plain = logFile("audit.log", text);
    const gz = logFile("audit.log.1.gz", gzipSync(text));
    const plainSummary = await indexFiles(plain.db, [plain.file], SMALL_CHUNKS);
    const gzSummary = await indexFiles(gz.db, [gz.file], SMALL_CHUNKS);
    const scan = scanLogs([plain.file]);

    const counts = ({ files, records, badLines, bytes }: IndexSummary) => ({
      files,
      records,
      badLines,
      bytes,
    });
    expect(counts(gzSummary)).toEqual(counts(plainSummary));
    expect(plainSummary.records).toBe(scan.records.length);

    const fromPlain = await checkAgainstOracle(plain.db, scan);
    // The gzip file's own scan: its records' `source` is its own path.
    const fromGz = await checkAgainstOracle(gz.db, scanLogs([gz.file]));
    expect(fromPlain.lines).toEqual(scan.records.map((r) => r.text));
    expect(fromGz.lines).toEqual(fromPlain.lines);
    expect(fromPlain.mismatches).toEqual([]);
    expect(fromGz.mismatches).toEqual([]);

    const statCounts = (db: string) =>
      withIndex(db, (ix) => {
        const { files, records, badLines, bytes, firstTime, lastTime, fileList } = ix.stats();
        return { files, records, badLines, bytes, firstTime, lastTime, lines: fileList[0]?.lines };
      });
    expect(await statCounts(gz.db)).toEqual(await statCounts(plain.db));
  });
});

describe("indexing again", () => {
  const lines = auditLines(21, 400_000);

  test("re-indexing an indexed file, twice, adds nothing", async () => {
    const { file, db } = logFile("audit.log", logText(lines));
    const first = await indexFiles(db, [file], SMALL_CHUNKS);
    const second = await indexFiles(db, [file], SMALL_CHUNKS);
    const third = await indexFiles(db, [file], SMALL_CHUNKS);
    expect(first.records).toBe(lines.length);
    expect([second.records, third.records]).toEqual([0, 0]);
    expect([second.bytes, third.bytes]).toEqual([0, 0]);
    await withIndex(db, (ix) => {
      expect(ix.recordCount).toBe(lines.length);
      expect(ix.stats()).toMatchObject({ files: 1, records: lines.length, badLines: 0 });
    });
  });

  test("an appended file adds only the new lines, with line numbers going on from the old end", async () => {
    const head = lines.slice(0, 100);
    const tail = lines.slice(100);
    const { file, db } = logFile("audit.log", logText(head));
    await indexFiles(db, [file], SMALL_CHUNKS);
    // The appended part holds a bad line, so its reported number shows where counting resumed.
    appendFileSync(file, logText([tail[0]!, "not json at all", ...tail.slice(1)]));
    const second = await indexFiles(db, [file], SMALL_CHUNKS);

    expect(second.records).toBe(tail.length);
    expect(badLineRefs(second)).toEqual(["audit.log:102"]);
    const scan = scanLogs([file]);
    expect(scan.badLines.map((b) => b.lineNo)).toEqual([102]);
    const { lines: indexed, mismatches } = await checkAgainstOracle(db, scan);
    expect(indexed).toEqual(scan.records.map((r) => r.text));
    expect(mismatches).toEqual([]);
    await withIndex(db, (ix) => {
      expect(ix.stats().fileList.map((f) => [f.records, f.lines, f.badLines])).toEqual([
        [lines.length, lines.length + 1, 1],
      ]);
    });
  });

  test("a file first indexed while shorter than its identity window keeps growing in place", async () => {
    const { file, db } = logFile("audit.log", logText(lines.slice(0, 2))); // < 4 KiB
    await indexFiles(db, [file], SMALL_CHUNKS);
    appendFileSync(file, logText(lines.slice(2, 40)));
    const grown = await indexFiles(db, [file], SMALL_CHUNKS);
    appendFileSync(file, logText(lines.slice(40)));
    const grownAgain = await indexFiles(db, [file], SMALL_CHUNKS);
    expect([grown.records, grownAgain.records]).toEqual([38, lines.length - 40]);
    expect((await checkAgainstOracle(db, scanLogs([file]))).lines).toEqual(lines);
  });

  test("a rotated (renamed) copy of an indexed file adds nothing and its records stay findable", async () => {
    const { file, db } = logFile("audit.log", logText(lines));
    await indexFiles(db, [file], SMALL_CHUNKS);
    const scan = scanLogs([file]);
    const rotated = file + ".1";
    renameSync(file, rotated);
    const again = await indexFiles(db, [rotated], SMALL_CHUNKS);
    expect(again.records).toBe(0);
    const { lines: indexed, mismatches } = await checkAgainstOracle(db, scan, ["ip", "lease"]);
    expect(indexed).toEqual(lines);
    expect(mismatches).toEqual([]);
    await withIndex(db, (ix) => expect(ix.stats().records).toBe(lines.length));
  });

  test("a gzip copy of an indexed plain file adds nothing, and the plain file still grows", async () => {
    const head = lines.slice(0, 150);
    const { file, db } = logFile("audit.log", logText(head));
    await indexFiles(db, [file], SMALL_CHUNKS);
    const gz = file + ".1.gz";
    writeFileSync(gz, gzipSync(readFileSync(file)));
    const fromGz = await indexFiles(db, [gz], SMALL_CHUNKS);
    const bothAgain = await indexFiles(db, [file, gz], SMALL_CHUNKS);
    expect([fromGz.records, bothAgain.records]).toEqual([0, 0]);

    appendFileSync(file, logText(lines.slice(150)));
    const grown = await indexFiles(db, [file, gz], SMALL_CHUNKS);
    expect(grown.records).toBe(lines.length - 150);
    await withIndex(db, (ix) => expect(allLines(ix)).toEqual(lines));
  });

  test("a rotated file that got more lines after the rename adds only those lines", async () => {
    const { file, db } = logFile("audit.log", logText(lines.slice(0, 120)));
    await indexFiles(db, [file], SMALL_CHUNKS);
    // The logger still holds the renamed file open for a moment and finishes its writes there.
    renameSync(file, file + ".1");
    appendFileSync(file + ".1", logText(lines.slice(120)));
    const rotated = await indexFiles(db, [file + ".1"], SMALL_CHUNKS);
    expect(rotated.records).toBe(lines.length - 120);
    await withIndex(db, (ix) => {
      expect(allLines(ix)).toEqual(lines);
      expect(ix.stats().files).toBe(1);
    });
  });

  test("an empty file adds nothing, and is indexed once something is written to it", async () => {
    const { file, db } = logFile("audit.log", "");
    expect(await indexFiles(db, [file], SMALL_CHUNKS)).toMatchObject({ files: 1, records: 0 });
    writeFileSync(file, logText(lines));
    expect((await indexFiles(db, [file], SMALL_CHUNKS)).records).toBe(lines.length);
    await withIndex(db, (ix) => expect(allLines(ix)).toEqual(lines));
  });

  test("a file whose head differs is a new file, even at a known path", async () => {
    const other = auditLines(22, 100_000);
    const { file, db } = logFile("audit.log", logText(lines));
    await indexFiles(db, [file], SMALL_CHUNKS);
    writeFileSync(file, logText(other));
    const replaced = await indexFiles(db, [file], SMALL_CHUNKS);
    expect(replaced.records).toBe(other.length);
    await withIndex(db, (ix) => expect(allLines(ix)).toEqual([...lines, ...other]));
  });

  test("after rotation the renamed old file adds nothing and the new file at the old name is new", async () => {
    const other = auditLines(23, 100_000);
    const { file, db } = logFile("audit.log", logText(lines));
    await indexFiles(db, [file], SMALL_CHUNKS);
    renameSync(file, file + ".1");
    writeFileSync(file, logText(other));
    const after = await indexFiles(db, [path.dirname(file)], SMALL_CHUNKS);
    expect(after.records).toBe(other.length);
    await withIndex(db, (ix) => {
      expect(allLines(ix)).toEqual([...lines, ...other]);
      expect(ix.stats().records).toBe(lines.length + other.length);
    });
  });

  // copytruncate: the log is copied away and truncated, and the writer goes on from byte 0. The
  // new content may start exactly like the old (here: its first 50 entries, far more than the
  // identity window), so only its length or its bytes before the old end can tell.
  const sameStart = lines.slice(0, 50);
  const fresh = auditLines(24, 400_000).slice(0, 250);

  test("a file truncated and written again, now shorter and starting the same, is new content", async () => {
    const { file, db } = logFile("audit.log", logText(lines));
    await indexFiles(db, [file], SMALL_CHUNKS);
    const rewritten = [...sameStart, ...fresh.slice(0, 100)];
    writeFileSync(file, logText(rewritten));
    expect(Buffer.byteLength(logText(rewritten))).toBeLessThan(Buffer.byteLength(logText(lines)));
    expect((await indexFiles(db, [file], SMALL_CHUNKS)).records).toBe(rewritten.length);
    expect((await indexFiles(db, [file], SMALL_CHUNKS)).records).toBe(0);
    // It grows on as itself, also once it is longer than the old content was.
    appendFileSync(file, logText(fresh.slice(100)));
    appendFileSync(file, logText(lines.slice(50)));
    const grown = await indexFiles(db, [file], SMALL_CHUNKS);
    expect(grown.records).toBe(fresh.length - 100 + lines.length - 50);
    await withIndex(db, (ix) =>
      expect(allLines(ix)).toEqual([
        ...lines,
        ...rewritten,
        ...fresh.slice(100),
        ...lines.slice(50),
      ]),
    );
  });

  test("a file truncated and written again past its old end, starting the same, is new content", async () => {
    const { file, db } = logFile("audit.log", logText(lines));
    await indexFiles(db, [file], SMALL_CHUNKS);
    const rewritten = [...sameStart, ...fresh, ...lines.slice(50)];
    writeFileSync(file, logText(rewritten));
    expect((await indexFiles(db, [file], SMALL_CHUNKS)).records).toBe(rewritten.length);
    await withIndex(db, (ix) => expect(allLines(ix)).toEqual([...lines, ...rewritten]));
  });

  test("a file that ends in a skipped long line is unchanged when indexed again", async () => {
    const long = JSON.stringify({ type: "request", pad: "x".repeat(300_000) });
    const { file, db } = logFile("audit.log", logText([...lines.slice(0, 40), long]));
    const opts: IndexOptions = { ...SMALL_CHUNKS, maxLineBytes: 100_000 };
    expect(await indexFiles(db, [file], opts)).toMatchObject({ records: 40, badLines: 1 });
    expect(await indexFiles(db, [file], opts)).toMatchObject({ records: 0, badLines: 0 });
    appendFileSync(file, logText(lines.slice(40, 60)));
    expect(await indexFiles(db, [file], opts)).toMatchObject({ records: 20, badLines: 0 });
  });

  test("copytruncate: the copy continues the old content and the truncated file is new; nothing twice", async () => {
    const { file, db } = logFile("audit.log", logText(lines));
    await indexFiles(db, [file], SMALL_CHUNKS);
    const late = fresh.slice(200); // written after the last run, before the copy
    appendFileSync(file, logText(late));
    copyFileSync(file, file + ".1");
    const rewritten = [...sameStart, ...fresh.slice(0, 30)];
    writeFileSync(file, logText(rewritten));
    const run = await indexFiles(db, [file + ".1", file], SMALL_CHUNKS);
    expect(run.records).toBe(late.length + rewritten.length);
    expect((await indexFiles(db, [path.dirname(file)], SMALL_CHUNKS)).records).toBe(0);
    await withIndex(db, (ix) => {
      expect(allLines(ix)).toEqual([...lines, ...late, ...rewritten]);
      expect(ix.stats().records).toBe(ix.recordCount);
    });
  });
});

describe("a last line without a newline", () => {
  const lines = auditLines(31, 60_000);
  const last = lines[lines.length - 1]!;
  const before = lines.slice(0, -1);

  test("is indexed when it is valid JSON, and not again once the file goes on", async () => {
    const { file, db } = logFile("audit.log", logText(before) + last);
    const first = await indexFiles(db, [file], SMALL_CHUNKS);
    expect(first).toMatchObject({ records: lines.length, badLines: 0 });

    const more = auditLines(32, 5_000);
    appendFileSync(file, "\n" + logText(more));
    const second = await indexFiles(db, [file], SMALL_CHUNKS);
    expect(second).toMatchObject({ records: more.length, badLines: 0 });
    await withIndex(db, (ix) => {
      expect(allLines(ix)).toEqual([...lines, ...more]);
      expect(ix.stats().fileList[0]?.lines).toBe(lines.length + more.length);
    });
  });

  test("is reported when it is cut short, and indexed once an append completes it", async () => {
    const cut = Math.floor(last.length / 2);
    const { file, db } = logFile("audit.log", logText(before) + last.slice(0, cut));
    const first = await indexFiles(db, [file], SMALL_CHUNKS);
    expect(first).toMatchObject({ records: before.length, badLines: 1 });
    expect(first.firstBadLines).toEqual([
      { file, line: lines.length, reason: expect.stringMatching(/truncated/) },
    ]);
    const unchanged = await indexFiles(db, [file], SMALL_CHUNKS);
    expect(unchanged.records).toBe(0);
    await withIndex(db, (ix) => expect(ix.stats()).toMatchObject({ badLines: 1 }));

    appendFileSync(file, last.slice(cut) + "\n");
    const completed = await indexFiles(db, [file], SMALL_CHUNKS);
    expect(completed).toMatchObject({ records: 1, badLines: 0 });
    await withIndex(db, (ix) => {
      expect(allLines(ix)).toEqual(lines);
      expect(ix.stats({ badLines: true })).toMatchObject({ badLines: 0, badLineList: [] });
    });
  });
});

describe("gzip", () => {
  test("a multi-member gzip file (gzip files concatenated) is read to its end", async () => {
    const lines = auditLines(45, 200_000);
    const half = lines.length >> 1;
    const content = Buffer.concat([
      gzipSync(logText(lines.slice(0, half))),
      gzipSync(logText(lines.slice(half))),
    ]);
    const { file, db } = logFile("audit.log.gz", content);
    const summary = await indexFiles(db, [file], SMALL_CHUNKS);
    expect(summary).toMatchObject({ records: lines.length, badLines: 0, fileErrors: [] });
    await withIndex(db, (ix) => expect(allLines(ix)).toEqual(lines));
  });

  test("a gzip file is recognised by its magic number, whatever its name", async () => {
    const lines = auditLines(46, 50_000);
    const { file, db } = logFile("audit.log", gzipSync(logText(lines)));
    expect(await indexFiles(db, [file], SMALL_CHUNKS)).toMatchObject({
      records: lines.length,
      badLines: 0,
    });
    await withIndex(db, (ix) => expect(ix.stats().fileList[0]?.gzip).toBe(true));
  });
});

describe("line endings and sizes", () => {
  test("CRLF line endings are good input, stored without the carriage return", async () => {
    const lines = auditLines(41, 200_000);
    const { file, db } = logFile("audit.log", logText(lines, "\r\n"));
    const summary = await indexFiles(db, [file], SMALL_CHUNKS);
    expect(summary).toMatchObject({ records: lines.length, badLines: 0 });
    const { lines: indexed, mismatches } = await checkAgainstOracle(db, scanLogs([file]));
    expect(indexed).toEqual(lines);
    expect(mismatches).toEqual([]);
  });

  test.each([
    ["1 MiB chunks (the line grows its chunk)", 1 << 20],
    ["the default chunk size", undefined],
  ])("a 10 MB entry is good input, with %s", async (_name, chunkBytes) => {
    const lines = auditLines(42, 50_000);
    const huge = JSON.stringify({
      time: "2026-11-20T01:00:00Z",
      type: "response",
      request: { id: "huge-one", path: "secret/data/blob", remote_address: "10.9.9.9" },
      response: { data: { blob: "x".repeat(10_000_000), key: `hmac-sha256:${"ab".repeat(32)}` } },
    });
    const mid = lines.length >> 1;
    const all = [...lines.slice(0, mid), huge, ...lines.slice(mid)];
    const { file, db } = logFile("audit.log", logText(all));
    const summary = await indexFiles(db, [file], { workers: 2, chunkBytes });
    expect(summary).toMatchObject({ records: all.length, badLines: 0 });
    const scan = scanLogs([file]);
    const { lines: indexed, mismatches } = await checkAgainstOracle(db, scan, [
      "ip",
      "path",
      "request_id",
      "hmac",
    ]);
    expect(indexed.length).toBe(all.length);
    expect(indexed[mid]!.length).toBe(huge.length);
    expect(indexed.every((l, i) => l === all[i])).toBe(true);
    expect(mismatches).toEqual([]);
  });
});

describe("entries are read by name", () => {
  /** Deterministic shuffle of every object's keys, all the way down. */
  function shuffled(value: unknown, seed: { n: number }): unknown {
    if (Array.isArray(value)) return value.map((v) => shuffled(v, seed));
    if (value === null || typeof value !== "object") return value;
    const entries = Object.entries(value);
    for (let i = entries.length - 1; i > 0; i--) {
      seed.n = (seed.n * 1103515245 + 12345) >>> 0;
      const j = seed.n % (i + 1);
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, shuffled(v, seed)]));
  }

  const OPTIONAL: readonly (readonly string[])[] = [
    ["auth"],
    ["response"],
    ["error"],
    ["time"],
    ["request", "headers"],
    ["request", "namespace"],
    ["request", "remote_address"],
    ["auth", "metadata"],
    ["response", "secret"],
    ["response", "auth"],
    ["request"],
  ];

  function without(entry: Record<string, unknown>, drop: readonly string[]): void {
    let node: unknown = entry;
    for (const key of drop.slice(0, -1)) {
      node = (node as Record<string, unknown> | undefined)?.[key];
      if (node === null || typeof node !== "object") return;
    }
    delete (node as Record<string, unknown>)[drop[drop.length - 1]!];
  }

  test("keys in any order and every optional object missing still index every field", async () => {
    const source = auditLines(51, 500_000).map((l) => JSON.parse(l) as Record<string, unknown>);
    const seed = { n: 7 };
    const variants: string[] = [];
    source.forEach((entry, i) => {
      variants.push(JSON.stringify(shuffled(entry, seed)));
      const stripped = structuredClone(entry);
      // Drop a rotating pair of optional parts, so each is missing next to any other.
      without(stripped, OPTIONAL[i % OPTIONAL.length]!);
      without(stripped, OPTIONAL[(i * 7 + 3) % OPTIONAL.length]!);
      // Not an audit entry any more once request, response and auth are all gone.
      const { request, response, auth } = stripped;
      if (request !== undefined || response !== undefined || auth !== undefined) {
        variants.push(JSON.stringify(shuffled(stripped, seed)));
      }
    });
    // The least an audit entry is: a string type and one of request, response, auth.
    variants.push(JSON.stringify({ type: "request", request: {} }));
    variants.push(JSON.stringify({ request: null, auth: null, type: "response", error: "" }));
    const { file, db } = logFile("audit.log", logText(variants));
    const summary = await indexFiles(db, [file], SMALL_CHUNKS);
    expect(summary).toMatchObject({ records: variants.length, badLines: 0 });
    const { lines, mismatches } = await checkAgainstOracle(db, scanLogs([file]));
    expect(lines).toEqual(variants);
    expect(mismatches).toEqual([]);
  });
});

describe("client addresses", () => {
  const entries: Record<string, { remote_address: string; headers?: Record<string, unknown> }> = {
    v4: { remote_address: "10.1.2.3" },
    "v4-port": { remote_address: "10.1.2.4:5696" },
    v6: { remote_address: "2001:db8::1" },
    "v6-long": { remote_address: "2001:0DB8:0000:0000:0000:0000:0000:0002" },
    "v6-port": { remote_address: "[2001:db8::3]:443" },
    "v6-loopback": { remote_address: "::1" },
    "xff-one": { remote_address: "10.0.0.2", headers: { "x-forwarded-for": ["203.0.113.7"] } },
    "xff-list": {
      remote_address: "10.0.0.2",
      headers: { "x-forwarded-for": ["198.51.100.9, 10.0.0.3"] },
    },
    "xff-v6": {
      remote_address: "10.0.0.2:34000",
      headers: { "x-forwarded-for": ["2001:db8:ffff::99", "192.0.2.1"] },
    },
    // Proxies write `unknown` for a client they cannot name; it is no address.
    "xff-unknown-left": {
      remote_address: "10.0.0.2",
      headers: { "x-forwarded-for": ["unknown, 10.0.0.4"] },
    },
    "xff-unknown-right": {
      remote_address: "10.0.0.2",
      headers: { "x-forwarded-for": ["10.0.0.6, unknown"] },
    },
  };
  const lines = Object.entries(entries).map(([id, request]) =>
    JSON.stringify({ type: "request", request: { id, path: "secret/x", ...request } }),
  );
  let built: Promise<string> | undefined;
  const db = (): Promise<string> =>
    (built ??= (async () => {
      const log = logFile("audit.log", logText(lines));
      await indexFiles(log.db, [log.file], { workers: 1 });
      return log.db;
    })());
  const requestIds = (ix: BreakglassIndex, ids: number[]): string[] =>
    ids.map((id) => (JSON.parse(ix.line(id).toString()) as { request: { id: string } }).request.id);

  test.each([
    ["10.1.2.3", ["v4"]],
    ["10.1.2.4", ["v4-port"]],
    ["2001:db8::1", ["v6"]],
    ["2001:db8::2", ["v6-long"]],
    ["2001:DB8:0:0::2", ["v6-long"]],
    ["2001:db8::3", ["v6-port"]],
    ["::1", ["v6-loopback"]],
    // ip: the remote address and the right-most X-Forwarded-For entry (the balancer's).
    ["203.0.113.7", ["xff-one"]],
    ["198.51.100.9", []],
    ["10.0.0.3", ["xff-list"]],
    ["2001:db8:ffff::99", []],
    ["192.0.2.1", ["xff-v6"]],
    ["10.0.0.4", ["xff-unknown-left"]],
    ["10.0.0.6", []],
    ["10.0.0.2", ["xff-one", "xff-list", "xff-v6", "xff-unknown-left", "xff-unknown-right"]],
  ])("ip = %s finds %j", async (ip, expected) => {
    await withIndex(await db(), (ix) => {
      expect(requestIds(ix, ix.postings("ip", ip))).toEqual(expected);
    });
  });

  test.each([
    // xff: every X-Forwarded-For entry that is an address, client supplied ones too.
    ["198.51.100.9", ["xff-list"]],
    ["10.0.0.3", ["xff-list"]],
    ["2001:db8:ffff::99", ["xff-v6"]],
    ["10.0.0.6", ["xff-unknown-right"]],
    ["10.0.0.2", []],
    ["unknown", []],
  ])("xff = %s finds %j", async (ip, expected) => {
    await withIndex(await db(), (ix) => {
      expect(requestIds(ix, ix.postings("xff", ip))).toEqual(expected);
    });
  });

  test.each([
    ["2001:db8::/32", ["v6", "v6-long", "v6-port"]],
    [
      "10.0.0.0/8",
      ["v4", "v4-port", "xff-one", "xff-list", "xff-v6", "xff-unknown-left", "xff-unknown-right"],
    ],
    ["203.0.113.0/24", ["xff-one"]],
    ["::1/128", ["v6-loopback"]],
  ])("ip in %s finds %j", async (cidr, expected) => {
    await withIndex(await db(), (ix) => {
      expect(requestIds(ix, ix.postingsInCidr(cidr))).toEqual(expected);
    });
  });

  test("every address agrees with the oracle", async () => {
    const dir = await db();
    const scan = scanLogs([path.join(path.dirname(dir), "audit.log")]);
    expect((await checkAgainstOracle(dir, scan)).mismatches).toEqual([]);
  });
});

describe("an audit device prefix", () => {
  const PREFIX = "vault-audit: ";
  const lines = auditLines(61, 100_000);

  test("given with --prefix is stripped from every line, and a line without it is bad", async () => {
    const content = logText([...lines.slice(0, 5).map((l) => PREFIX + l), lines[5]!]);
    const { file, db } = logFile("audit.log", content);
    const summary = await indexFiles(db, [file], { ...SMALL_CHUNKS, prefix: PREFIX });
    expect(summary).toMatchObject({ records: 5, badLines: 1 });
    expect(summary.firstBadLines).toEqual([
      { file, line: 6, reason: expect.stringContaining("prefix") },
    ]);
    const scan = scanLogs([file], { prefix: PREFIX });
    expect(scan.badLines.map((b) => b.lineNo)).toEqual([6]);
    const { lines: indexed, mismatches } = await checkAgainstOracle(db, scan);
    expect(indexed).toEqual(lines.slice(0, 5));
    expect(mismatches).toEqual([]);
  });

  test("is detected when not given, and stripped", async () => {
    const { file, db } = logFile("audit.log", logText(lines.map((l) => PREFIX + l)));
    const summary = await indexFiles(db, [file], SMALL_CHUNKS);
    expect(summary).toMatchObject({ records: lines.length, badLines: 0 });
    expect(summary.detectedPrefix).toBe(PREFIX);
    const { lines: indexed, mismatches } = await checkAgainstOracle(
      db,
      scanLogs([file], { prefix: PREFIX }),
    );
    expect(indexed).toEqual(lines);
    expect(mismatches).toEqual([]);
  });
});

describe("bad lines", () => {
  const good = auditLines(71, 30_000);
  const BAD: readonly (readonly [kind: string, bytes: Buffer, reason: RegExp])[] = [
    ["truncated JSON", Buffer.from(good[0]!.slice(0, 90)), /truncated/],
    ["text that is not JSON", Buffer.from("panic: runtime error: index out of range"), /not JSON/],
    ["a JSON array", Buffer.from("[1, 2, 3]"), /not an audit entry/],
    ["a JSON array of entries", Buffer.from('[{"type":"request"}]'), /not an audit entry/],
    ["a JSON number", Buffer.from("42"), /not an audit entry/],
    [
      "an object without a string type",
      Buffer.from('{"type":7,"request":{}}'),
      /not an audit entry/,
    ],
    ["an object without any type", Buffer.from('{"request":{"path":"x"}}'), /not an audit entry/],
    ["binary garbage", Buffer.from([0, 1, 2, 3, 0x1b, 0x7f, 0x10, 8, 0x41, 0]), /binary/],
    [
      "invalid UTF-8",
      Buffer.concat([
        Buffer.from('{"type":"request","x":"'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from('"}'),
      ]),
      /invalid UTF-8/,
    ],
  ];
  /** good, bad, good, bad, …, good: each bad line between two good ones. */
  function mixedLog(): Buffer {
    const parts: Buffer[] = [];
    BAD.forEach(([, bytes], i) => {
      parts.push(Buffer.from(good[i]! + "\n"), bytes, Buffer.from("\n"));
    });
    parts.push(Buffer.from(logText(good.slice(BAD.length))));
    return Buffer.concat(parts);
  }

  test.each([
    ["one chunk", undefined],
    ["many small chunks", 2048],
  ])(
    "each kind is reported as file:line with its reason and costs no neighbour (%s)",
    async (_name, chunkBytes) => {
      const { file, db } = logFile("audit.log", mixedLog());
      const summary = await indexFiles(db, [file], { workers: 2, chunkBytes });
      const scan = scanLogs([file]);
      const expectedLines = BAD.map((_, i) => 2 * i + 2);
      expect(scan.badLines.map((b) => b.lineNo)).toEqual(expectedLines);
      expect(summary).toMatchObject({ records: good.length, badLines: BAD.length });
      expect(summary.firstBadLines.map((b) => [b.file, b.line])).toEqual(
        expectedLines.map((line) => [file, line]),
      );
      const wrongReasons = summary.firstBadLines
        .map((b, i) => [BAD[i]![0], b.reason, BAD[i]![2]] as const)
        .filter(([, reason, want]) => !want.test(reason))
        .map(([kind, reason]) => `${kind}: ${reason}`);
      expect(wrongReasons).toEqual([]);
      const { lines, mismatches } = await checkAgainstOracle(db, scan);
      expect(lines).toEqual(good);
      expect(mismatches).toEqual([]);
      await withIndex(db, (ix) => {
        const stats = ix.stats({ badLines: true });
        expect(stats.badLines).toBe(BAD.length);
        expect(stats.badLineList.map((b) => [b.file, b.line])).toEqual(
          expectedLines.map((line) => [file, line]),
        );
      });
    },
  );

  test("a bad last line without a newline is reported on every run but counted once", async () => {
    const { file, db } = logFile("audit.log", `${good[0]}\n${good[1]}\nnot json, no newline`);
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await indexFiles(db, [file], { workers: 1 }));
    expect(runs.map((r) => [r.records, r.firstBadLines.map((b) => b.line)])).toEqual([
      [2, [3]],
      [0, [3]],
      [0, [3]],
    ]);
    await withIndex(db, (ix) => {
      const stats = ix.stats({ badLines: true });
      expect(stats).toMatchObject({ records: 2, badLines: 1 });
      expect(stats.badLineList).toEqual([
        { file, line: 3, reason: expect.stringMatching(/not JSON/) },
      ]);
    });
  });

  test.each([
    ['[{"type":"request"}]', /not an audit entry/],
    ['["a", {"type":"request","request":{"path":"x"}}]', /not an audit entry/],
    ['[{"type":"request","request":{"path":"x"}}', /truncated|not JSON/],
    ['"{\\"type\\":\\"request\\"}"', /not an audit entry/],
  ])("%s holds an entry inside it but is a bad line, not a record", async (line, reason) => {
    const { file, db } = logFile("audit.log", `${good[0]}\n${line}\n${good[1]}\n`);
    const summary = await indexFiles(db, [file], { workers: 1 });
    expect(summary).toMatchObject({ records: 2, badLines: 1, detectedPrefix: undefined });
    expect(summary.firstBadLines).toEqual([
      { file, line: 2, reason: expect.stringMatching(reason) },
    ]);
  });

  test("blank lines are neither records nor bad lines", async () => {
    const { file, db } = logFile("audit.log", `\n${good[0]}\n   \n\t\r\n${good[1]}\n\n`);
    const summary = await indexFiles(db, [file], { workers: 1 });
    expect(summary).toMatchObject({ records: 2, badLines: 0 });
  });

  test("a gzip file cut short indexes what it could read and says so", async () => {
    const lines = auditLines(72, 400_000);
    const gz = gzipSync(logText(lines));
    const { file, db } = logFile("audit.log.gz", gz);
    truncateSync(file, Math.floor(gz.length / 2));
    const summary = await indexFiles(db, [file], SMALL_CHUNKS);
    expect(summary.fileErrors).toEqual([expect.stringMatching(/gzip data ends early/)]);
    expect(summary.records).toBeGreaterThan(0);
    expect(summary.records).toBeLessThan(lines.length);
    await withIndex(db, (ix) => expect(allLines(ix)).toEqual(lines.slice(0, ix.recordCount)));
  });
});

describe("several files in one run", () => {
  test("a directory is recursed and the index inside it is skipped", async () => {
    const lines = auditLines(81, 100_000);
    const other = auditLines(82, 100_000);
    const { file, db } = logFile("a.log", logText(lines));
    const dir = path.dirname(file);
    writeFileSync(path.join(dir, "b.log"), logText(other));
    const summary = await indexFiles(db, [dir], SMALL_CHUNKS);
    expect(summary).toMatchObject({ files: 2, records: lines.length + other.length, badLines: 0 });
    const again = await indexFiles(db, [dir], SMALL_CHUNKS);
    expect(again.records).toBe(0);
  });

  test("plain and gzip copies of a file indexed before add nothing when found in a directory", async () => {
    const lines = auditLines(83, 100_000);
    const other = auditLines(84, 100_000);
    const { file, db } = logFile("a.log", logText(lines));
    await indexFiles(db, [file], SMALL_CHUNKS);
    const dir = path.dirname(file);
    copyFileSync(file, path.join(dir, "a-copy.log"));
    writeFileSync(path.join(dir, "a.log.1.gz"), gzipSync(readFileSync(file)));
    writeFileSync(path.join(dir, "b.log"), logText(other));
    const summary = await indexFiles(db, [dir], SMALL_CHUNKS);
    expect(summary.records).toBe(other.length);
    await withIndex(db, (ix) => expect(allLines(ix)).toEqual([...lines, ...other]));
  });

  test("a file and its plain and gzip copies, indexed together, give each record once", async () => {
    const lines = auditLines(85, 100_000);
    const { file, db } = logFile("a.log", logText(lines));
    copyFileSync(file, file + ".1");
    writeFileSync(file + ".1.gz", gzipSync(readFileSync(file)));
    const summary = await indexFiles(db, [path.dirname(file)], SMALL_CHUNKS);
    expect(summary.records).toBe(lines.length);
    await withIndex(db, (ix) => expect(allLines(ix)).toEqual(lines));
  });
});
