// Real logs written by other projects' Vaults (../shared/corpus, see its SOURCES.md): every entry
// is indexed, and every field answers as a plain JSON.parse scan of the same files says it must.
// A user's clone has no ../shared: the tests then skip, and say so.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openIndex, type BreakglassIndex } from "../../src/index-api.js";
import { indexFiles, type IndexSummary } from "../../src/ingest/index-files.js";
import { postingsChecked, postingsMismatches } from "../oracle/compare-postings.js";
import {
  ORACLE_FIELD_NAMES,
  readLogContent,
  rfc3339Nanos,
  scanLogs,
  type LogScan,
} from "../oracle/scan-log.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { HAS_CORPUS, corpusLogs, noticeIfNoCorpus } from "../helpers/shared-corpus.js";

noticeIfNoCorpus("index-corpus");
const CORPUS_ENTRIES = 5351; // SOURCES.md: 5,350 newline-terminated lines + 1 unterminated one

const tempDir = tempDirs("bg-corpus-");

describe.skipIf(!HAS_CORPUS)("indexing the shared corpus of real audit logs", () => {
  let files: string[];
  let scan: LogScan;
  let summary: IndexSummary;
  let index: BreakglassIndex;

  beforeAll(async () => {
    files = corpusLogs();
    scan = scanLogs(files);
    const db = path.join(tempDir(), "db");
    summary = await indexFiles(db, files, { workers: 2 });
    index = openIndex(db);
  });
  afterAll(async () => {
    await index?.close();
  });

  test("the oracle finds the 5,351 entries SOURCES.md promises, and no bad line", () => {
    expect(files).toHaveLength(7);
    expect(scan.records).toHaveLength(CORPUS_ENTRIES);
    expect(scan.badLines).toEqual([]);
  });

  test("every entry is indexed, including the last line that has no newline", () => {
    expect(summary).toMatchObject({ files: 7, records: CORPUS_ENTRIES, badLines: 0 });
    expect(summary.fileErrors).toEqual([]);
    expect(index.recordCount).toBe(CORPUS_ENTRIES);
  });

  test("record ids follow the files and lines in order, each the original line byte for byte", () => {
    const wrong = scan.records.filter((r, id) => index.line(id).toString("utf8") !== r.text);
    expect(wrong.map((r) => `${path.basename(r.file)}:${r.lineNo}`)).toEqual([]);
  });

  test("every field answers every value exactly as the plain scan does", () => {
    expect(postingsChecked(scan, ORACLE_FIELD_NAMES)).toBeGreaterThan(5_000);
    expect(postingsMismatches(index, scan, ORACLE_FIELD_NAMES)).toEqual([]);
  });

  test("stats counts the files, records, bytes and time span the scan counts", () => {
    const stats = index.stats();
    const totalBytes = files.reduce((n, f) => n + readLogContent(f).length, 0);
    expect(stats).toMatchObject({
      files: 7,
      records: CORPUS_ENTRIES,
      badLines: 0,
      bytes: totalBytes,
    });
    expect(rfc3339Nanos(stats.firstTime ?? "")).toBe(scan.firstTimeNs);
    expect(rfc3339Nanos(stats.lastTime ?? "")).toBe(scan.lastTimeNs);
  });

  test("gzip copies of the corpus give the same records, answers and counts", async () => {
    const dir = tempDir();
    const gzFiles = files.map((f) => {
      const gz = path.join(dir, path.basename(f) + ".gz");
      writeFileSync(gz, gzipSync(readLogContent(f)));
      return gz;
    });
    const db = path.join(dir, "db");
    const gzSummary = await indexFiles(db, gzFiles, { workers: 2 });
    expect(gzSummary).toMatchObject({ files: 7, records: CORPUS_ENTRIES, badLines: 0 });
    const gzIndex = openIndex(db);
    try {
      const lines = (ix: BreakglassIndex): string[] =>
        Array.from({ length: ix.recordCount }, (_, id) => ix.line(id).toString("utf8"));
      expect(lines(gzIndex)).toEqual(lines(index));
      // The gzip copies' own scan: their records' `source` is their own path.
      expect(postingsMismatches(gzIndex, scanLogs(gzFiles), ORACLE_FIELD_NAMES)).toEqual([]);
      const counts = ({
        files,
        records,
        badLines,
        bytes,
      }: ReturnType<BreakglassIndex["stats"]>) => ({
        files,
        records,
        badLines,
        bytes,
      });
      expect(counts(gzIndex.stats())).toEqual(counts(index.stats()));
    } finally {
      await gzIndex.close();
    }
  });
});
