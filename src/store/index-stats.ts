// What is indexed: files, records, time span, bad lines, sizes (`breakglass stats`). Reads only
// file and segment metadata (plus the bad-line table when asked), never a record. Says which files
// hold plaintext tokens (a log_raw audit device): such an index holds live secrets.
import fs from "node:fs";
import path from "node:path";
import { pickTime } from "../audit/time-key.js";
import { INDEX_FILE } from "./format.js";
import type { FileMeta } from "./format.js";
import type { IndexReader } from "./index-reader.js";

export interface FileStats {
  readonly id: number;
  readonly path: string;
  readonly gzip: boolean;
  readonly records: number;
  readonly badLines: number;
  readonly bytes: number;
  readonly lines: number;
  readonly firstTime: string | undefined;
  readonly lastTime: string | undefined;
  readonly indexedAt: string;
  /** Records of this file whose client token is plaintext (a log_raw audit device). */
  readonly rawTokenRecords: number;
  /** Lines skipped as not audit entries (a server's own log in a mixed stream). */
  readonly skippedLines: number;
}

export interface BadLineStats {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

export interface IndexStats {
  readonly files: number;
  readonly records: number;
  readonly badLines: number;
  /** Lines skipped as not audit entries (a server's own log), not bad lines. */
  readonly skippedLines: number;
  readonly bytes: number;
  readonly firstTime: string | undefined;
  readonly lastTime: string | undefined;
  /** Records whose `time` is missing or does not parse: in no time range, not in the time span. */
  readonly noTime: number;
  readonly segments: number;
  readonly indexBytes: number;
  readonly fileList: readonly FileStats[];
  readonly badLineList: readonly BadLineStats[];
  /** Paths of the files that hold plaintext client tokens: the index holds live secrets. */
  readonly rawTokenFiles: readonly string[];
}

export function indexStats(reader: IndexReader, opts: { badLines: boolean }): IndexStats {
  let indexBytes = 0;
  for (const name of [INDEX_FILE]) {
    try {
      indexBytes += fs.statSync(path.join(reader.env.dir, name)).size;
    } catch {
      // a read-only copy without the file: size unknown
    }
  }
  return statsOfFiles(
    reader.files(),
    reader.badLines(),
    {
      noTime: reader.segments.reduce((n, seg) => n + seg.records - seg.timedRecords, 0),
      segments: reader.segments.length,
      indexBytes,
    },
    opts.badLines,
  );
}

/**
 * The stats of some files (their metadata as the index keeps it) and bad lines: the local index's,
 * or those a ClickHouse load keeps (backend/clickhouse/clickhouse-stats.ts).
 */
export function statsOfFiles(
  files: readonly FileMeta[],
  badLines: Iterable<{ readonly file: number; readonly line: number; readonly reason: string }>,
  store: { readonly noTime: number; readonly segments: number; readonly indexBytes: number },
  withBadLines: boolean,
): IndexStats {
  const byId = new Map(files.map((f) => [f.id, f.path]));
  let firstTime: string | undefined;
  let lastTime: string | undefined;
  const fileList: FileStats[] = files.map((f) => {
    firstTime = pickTime(firstTime, f.firstTime, false);
    lastTime = pickTime(lastTime, f.lastTime, true);
    return {
      id: f.id,
      path: f.path,
      gzip: f.gzip,
      records: f.records,
      badLines: f.badLines + (f.tailBad ? 1 : 0),
      bytes: f.doneBytes,
      lines: f.doneLines,
      firstTime: f.firstTime,
      lastTime: f.lastTime,
      indexedAt: f.indexedAt,
      rawTokenRecords: f.rawTokenRecords ?? 0,
      skippedLines: f.skippedLines ?? 0,
    };
  });
  const badLineList: BadLineStats[] = [];
  if (withBadLines) {
    for (const b of badLines) {
      badLineList.push({
        file: byId.get(b.file) ?? `file #${b.file}`,
        line: b.line,
        reason: b.reason,
      });
    }
    for (const f of files) {
      if (f.tailBad)
        badLineList.push({ file: f.path, line: f.tailBad.line, reason: f.tailBad.reason });
    }
  }
  return {
    files: files.length,
    records: fileList.reduce((n, f) => n + f.records, 0),
    badLines: fileList.reduce((n, f) => n + f.badLines, 0),
    skippedLines: fileList.reduce((n, f) => n + f.skippedLines, 0),
    bytes: fileList.reduce((n, f) => n + f.bytes, 0),
    firstTime,
    lastTime,
    ...store,
    fileList,
    badLineList,
    rawTokenFiles: fileList.filter((f) => f.rawTokenRecords > 0).map((f) => f.path),
  };
}
