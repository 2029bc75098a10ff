// The store's metadata records (files, segments, the id counters, bad lines), written as checked
// JSON (codec/checked-json.ts) and read back verified: a value that fails its checksum, does not
// parse, lacks a field or contradicts another record is damage (store/index-damage.ts), reported
// with the record it is in. Also the check an index passes before it is opened for writing
// (verifyBeforeWrite). Cost: every segment and file record is decoded once per open index.
import { decodeCheckedJson, encodeCheckedJson } from "../codec/checked-json.js";
import type { Transaction } from "lmdb";
import { badLineKey, type FileMeta, type SegmentMeta } from "./format.js";
import { damagedIndex, readingIndex } from "./index-damage.js";
import type { IndexEnv } from "./index-env.js";

/** The next record, segment and file ids, stored under meta "next". */
export interface Counters {
  record: number;
  segment: number;
  file: number;
}

const COUNTERS_KEY = Buffer.from("next", "utf8");

function idKey(id: number): Buffer {
  const key = Buffer.allocUnsafe(4);
  key.writeUInt32BE(id, 0);
  return key;
}

const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const isOptText = (v: unknown): boolean => v === undefined || typeof v === "string";
const isCounts = (v: unknown): boolean => Array.isArray(v) && v.every(isCount);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** What is wrong with a decoded segment record, or undefined when it is whole. */
function segmentProblem(v: unknown, id: number): string | undefined {
  if (!isObject(v)) return "is not a segment record";
  if (v.id !== id) return `names segment ${String(v.id)}`;
  for (const f of ["base", "records", "file", "firstLine", "timedRecords"]) {
    if (!isCount(v[f])) return `has no valid ${f}`;
  }
  const records = v.records as number;
  const starts = v.blockStarts;
  if (
    !isCounts(starts) ||
    (starts as number[])[0] !== 0 ||
    (starts as number[]).some((s, i, a) => s >= records || (i > 0 && s <= a[i - 1]!))
  ) {
    return "has no valid blockStarts";
  }
  if (!isOptText(v.minTime) || !isOptText(v.maxTime)) return "has no valid time span";
  if (!isObject(v.fieldPages)) return "has no valid fieldPages";
  for (const [code, pages] of Object.entries(v.fieldPages)) {
    if (!isCount(Number(code)) || !isCount(pages)) return "has no valid fieldPages";
  }
  if (v.untermedFields !== undefined && !isCounts(v.untermedFields)) {
    return "has no valid untermedFields";
  }
  if (v.fieldRevisions !== undefined) {
    if (!isObject(v.fieldRevisions)) return "has no valid fieldRevisions";
    for (const [code, revision] of Object.entries(v.fieldRevisions)) {
      if (!isCount(Number(code)) || !isCount(revision)) return "has no valid fieldRevisions";
    }
  }
  if (!isOptText(v.sha256)) return "has no valid sha256";
  return undefined;
}

function fileProblem(v: unknown, id: number): string | undefined {
  if (!isObject(v)) return "is not a file record";
  if (v.id !== id) return `names file ${String(v.id)}`;
  for (const f of ["path", "headHash", "indexedAt"]) {
    if (typeof v[f] !== "string") return `has no valid ${f}`;
  }
  for (const f of ["headBytes", "doneBytes", "doneLines", "sourceBytes", "records", "badLines"]) {
    if (!isCount(v[f])) return `has no valid ${f}`;
  }
  if (typeof v.sourceMtimeMs !== "number" || !Number.isFinite(v.sourceMtimeMs)) {
    return "has no valid sourceMtimeMs";
  }
  if (typeof v.gzip !== "boolean" || typeof v.endsOpen !== "boolean") return "has no valid flags";
  if (!isOptText(v.firstTime) || !isOptText(v.lastTime)) return "has no valid time span";
  for (const f of ["tailStart", "tailBytes", "rawTokenRecords", "skippedLines"]) {
    if (v[f] !== undefined && !isCount(v[f])) return `has no valid ${f}`;
  }
  if (!isOptText(v.tailHash)) return "has no valid tailHash";
  for (const f of ["contentSha256", "source", "device"]) {
    if (!isOptText(v[f])) return `has no valid ${f}`;
  }
  const tail = v.tailBad;
  if (tail !== undefined && !(isObject(tail) && isCount(tail.line) && isOptText(tail.reason))) {
    return "has no valid tailBad";
  }
  return undefined;
}

/** Decode a checked record and check its shape; damage is thrown as damagedIndex(dir, where …). */
function decodeRecord<T>(
  dir: string,
  where: string,
  bytes: Uint8Array,
  key: Uint8Array,
  problem: (v: unknown) => string | undefined,
): T {
  const value = readingIndex(dir, where, () => decodeCheckedJson(bytes, key));
  const wrong = problem(value);
  if (wrong !== undefined) throw damagedIndex(dir, `${where} ${wrong}`);
  return value as T;
}

export function encodeSegmentMeta(seg: SegmentMeta): Buffer {
  return encodeCheckedJson(seg, idKey(seg.id));
}

export function encodeFileMeta(file: FileMeta): Buffer {
  return encodeCheckedJson(file, idKey(file.id));
}

export function encodeCounters(next: Counters): Buffer {
  return encodeCheckedJson(next, COUNTERS_KEY);
}

export function encodeBadLine(file: number, line: number, reason: string): Buffer {
  return encodeCheckedJson(reason, badLineKey(file, line));
}

const inTxn = (txn: Transaction | undefined): { transaction?: Transaction } =>
  txn ? { transaction: txn } : {};

/**
 * Every segment record, verified and sorted by base. Record ids are handed out in order and a
 * segment never loses one, so the segments cover ids [0, next record id) exactly once: a gap or
 * an overlap is damage (a lost segment record would otherwise be a silently short answer).
 * `txn`: the snapshot to read in (a reader's; the counters must come from the same one).
 */
export function readSegmentMetas(env: IndexEnv, txn?: Transaction): SegmentMeta[] {
  const out: SegmentMeta[] = [];
  readingIndex(env.dir, "the segment list", () => {
    for (const { key, value } of env.segments.getRange(inTxn(txn))) {
      out.push(
        decodeRecord<SegmentMeta>(env.dir, `segment ${key}'s record`, value, idKey(key), (v) =>
          segmentProblem(v, key),
        ),
      );
    }
  });
  out.sort((a, b) => a.base - b.base);
  let next = 0;
  for (const s of out) {
    if (s.base !== next) {
      throw damagedIndex(
        env.dir,
        s.base > next
          ? `no segment holds records ${next}-${s.base - 1} (a segment record is lost)`
          : `segment ${s.id} overlaps the segment before it`,
      );
    }
    next = s.base + s.records;
  }
  const counted = readCounters(env, txn)?.record ?? 0;
  if (next !== counted) {
    throw damagedIndex(env.dir, `its segments hold ${next} records, its id counters ${counted}`);
  }
  return out;
}

/** Every indexed file's record, verified, by id. */
export function readFileMetas(env: IndexEnv, txn?: Transaction): FileMeta[] {
  const out: FileMeta[] = [];
  readingIndex(env.dir, "the file list", () => {
    for (const { key, value } of env.files.getRange(inTxn(txn))) {
      out.push(
        decodeRecord<FileMeta>(env.dir, `file ${key}'s record`, value, idKey(key), (v) =>
          fileProblem(v, key),
        ),
      );
    }
  });
  return out.sort((a, b) => a.id - b.id);
}

/**
 * Files and segments agree: each segment's file is known, and each file's record count is its
 * segments' (a file's chunks are its segments; compaction merges only a file's own).
 */
export function checkFilesAgainstSegments(
  dir: string,
  files: readonly FileMeta[],
  segments: readonly SegmentMeta[],
): void {
  const records = new Map<number, number>(files.map((f) => [f.id, 0]));
  for (const s of segments) {
    const n = records.get(s.file);
    if (n === undefined) throw damagedIndex(dir, `segment ${s.id}'s file ${s.file} has no record`);
    records.set(s.file, n + s.records);
  }
  for (const f of files) {
    if (records.get(f.id) !== f.records) {
      throw damagedIndex(
        dir,
        `file ${f.id}'s record counts ${f.records} records, its segments ${records.get(f.id)}`,
      );
    }
  }
}

/** The id counters, verified; undefined in an index that has none yet. */
export function readCounters(env: IndexEnv, txn?: Transaction): Counters | undefined {
  const where = "the id counters record";
  const bytes = readingIndex(env.dir, where, () => env.meta.get("next", inTxn(txn)));
  if (bytes === undefined) return undefined;
  if (!(bytes instanceof Uint8Array)) throw damagedIndex(env.dir, `${where} is not bytes`);
  return decodeRecord<Counters>(env.dir, where, bytes, COUNTERS_KEY, (v) =>
    isObject(v) && isCount(v.record) && isCount(v.segment) && isCount(v.file)
      ? undefined
      : "has no valid counters",
  );
}

/** A bad line's reason, verified. */
export function decodeBadLine(dir: string, file: number, line: number, bytes: Uint8Array): string {
  return decodeRecord<string>(
    dir,
    `the bad-line record of file ${file} line ${line}`,
    bytes,
    badLineKey(file, line),
    (v) => (typeof v === "string" ? undefined : "is not a reason"),
  );
}

/**
 * Refuse to write into a damaged index: every metadata record must decode, segments, files and
 * counters must agree, and the counters must be past every segment and file id (else new data
 * would overwrite old). The record blocks and term pages are not read here (that is the size of
 * the index); a damaged one is found when it is read, and compaction, the one writer that reads
 * them, then writes nothing.
 */
export function verifyBeforeWrite(env: IndexEnv): void {
  const txn = readingIndex(env.dir, "its read snapshot", () => env.root.useReadTransaction());
  try {
    const saved = readCounters(env, txn) ?? { record: 0, segment: 0, file: 0 };
    const segments = readSegmentMetas(env, txn);
    const files = readFileMetas(env, txn);
    checkFilesAgainstSegments(env.dir, files, segments);
    if (segments.some((s) => s.id >= saved.segment) || files.some((f) => f.id >= saved.file)) {
      throw damagedIndex(env.dir, "its id counters are behind its segments or files");
    }
  } finally {
    txn.done();
  }
}
