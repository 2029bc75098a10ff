// Is index.mdb whole enough to hand to LMDB? LMDB maps the file into memory and trusts it: a file
// cut short makes a read of a page past its end fault (SIGBUS: the process dies with no message),
// and a writer would build on the missing pages. So before LMDB opens it, read LMDB's two meta
// pages ourselves (page 0 at offset 0, page 1 at offset pageSize) with plain file reads: each must
// be a meta page with LMDB's magic 0xBEEFC0DE and data version 2, of one page size; the newer one
// (by transaction id) names the last page in use, so a file shorter than (lastPage + 1) × pageSize
// is truncated. That holds for files our writer wrote: LMDB itself may leave the last pages
// unwritten (coverLastPage below), so the writer extends the file after each commit, and a reader
// that finds it short looks again for up to a second (a commit not yet covered) before it says
// so. Cost: two 4 KiB reads and an fstat per open and per commit.
//
// Meta page layout (liblmdb mdb.c in the lmdb package, 64-bit, native = little-endian): page
// header (u64 pgno, u64 txnid, u16 pad, u16 flags, u32 lower/upper) = 24 bytes, then MDB_meta:
// u32 magic, u32 version, u64 address, u64 mapsize, two MDB_db of 48 bytes (the first's u32
// md_pad is the page size), u64 last_pg, u64 txnid.
import fs from "node:fs";
import path from "node:path";
import { INDEX_FILE } from "./format.js";
import { damagedIndex } from "./index-damage.js";

const PAGE_HEADER_BYTES = 24;
const P_META = 0x08;
const MDB_MAGIC = 0xbeefc0de;
const MDB_DATA_VERSION = 2;
const META = {
  flags: 18,
  magic: PAGE_HEADER_BYTES,
  version: PAGE_HEADER_BYTES + 4,
  pageSize: PAGE_HEADER_BYTES + 24,
  lastPage: PAGE_HEADER_BYTES + 120,
  txnid: PAGE_HEADER_BYTES + 128,
  end: PAGE_HEADER_BYTES + 136,
} as const;
const MIN_PAGE_BYTES = 512;
const MAX_PAGE_BYTES = 65536;

interface MetaPage {
  readonly pageSize: number;
  readonly lastPage: bigint;
  readonly txnid: bigint;
}

/** Meta page `n` (read at `offset`), or a reason it is not one. */
function metaPage(fd: number, offset: number, n: number): MetaPage | string {
  const buf = Buffer.alloc(META.end);
  const got = fs.readSync(fd, buf, 0, META.end, offset);
  if (got < META.end) return `index.mdb is too short to hold LMDB meta page ${n}`;
  if ((buf.readUInt16LE(META.flags) & P_META) === 0)
    return `index.mdb's page ${n} is not an LMDB meta page`;
  if (buf.readUInt32LE(META.magic) !== MDB_MAGIC) {
    return `index.mdb's LMDB meta page ${n} lacks LMDB's magic number`;
  }
  const version = buf.readUInt32LE(META.version) & 0xffff;
  if (version !== MDB_DATA_VERSION)
    return `index.mdb's LMDB meta page ${n} has data version ${version}`;
  const pageSize = buf.readUInt32LE(META.pageSize);
  if (pageSize < MIN_PAGE_BYTES || pageSize > MAX_PAGE_BYTES || pageSize & (pageSize - 1)) {
    return `index.mdb's LMDB meta page ${n} has page size ${pageSize}`;
  }
  return {
    pageSize,
    lastPage: buf.readBigUInt64LE(META.lastPage),
    txnid: buf.readBigUInt64LE(META.txnid),
  };
}

/** The file's size and the size its newest meta page needs, or what is wrong with its meta pages. */
function fileState(fd: number): { bytes: number; neededBytes: number } | string {
  const first = metaPage(fd, 0, 0);
  if (typeof first === "string") return first;
  const second = metaPage(fd, first.pageSize, 1);
  if (typeof second === "string") return second;
  if (first.pageSize !== second.pageSize) {
    return "index.mdb's LMDB meta pages disagree on the page size";
  }
  const newest = first.txnid >= second.txnid ? first : second;
  // Sized after the meta pages are read: a commit in between only makes the file longer.
  return {
    bytes: fs.fstatSync(fd).size,
    neededBytes: Number((newest.lastPage + 1n) * BigInt(first.pageSize)),
  };
}

/** A reader that finds the file short waits this long for the writer's coverLastPage. */
const SHORT_FILE_RETRIES_MS = [20, 80, 300, 600];

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Throws the damaged-index error when the index's LMDB file (DIR/index.mdb) is not whole. */
export function checkLmdbFile(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(path.join(dir, INDEX_FILE), "r");
  } catch {
    return; // unreadable: LMDB's open reports it
  }
  let problem: string | undefined;
  try {
    for (let attempt = 0; ; attempt++) {
      const state = fileState(fd);
      if (typeof state === "string") {
        problem = state;
        break;
      }
      if (state.bytes >= state.neededBytes) break;
      // A writer between its commit and coverLastPage, or a truncated file: look again.
      const wait = SHORT_FILE_RETRIES_MS[attempt];
      if (wait === undefined) {
        problem = `index.mdb is ${state.bytes} bytes but LMDB's meta page says it holds ${state.neededBytes} (truncated)`;
        break;
      }
      sleepMs(wait);
    }
  } finally {
    fs.closeSync(fd);
  }
  if (problem !== undefined) throw damagedIndex(dir, problem);
}

/**
 * After each write transaction: make the file reach LMDB's last page. LMDB leaves pages it
 * allocated and freed within one transaction (loose pages: compaction's deletes make them)
 * unwritten past the end of the file, so without this a healthy file can be shorter than its
 * meta page says and checkLmdbFile could not tell it from a truncated one. The extension is a
 * hole of free pages that LMDB never reads. Only the writer calls it; it never shrinks the file.
 */
export function coverLastPage(dir: string): void {
  const fd = fs.openSync(path.join(dir, INDEX_FILE), "r+");
  try {
    const state = fileState(fd);
    if (typeof state === "string") throw damagedIndex(dir, state);
    if (state.bytes < state.neededBytes) fs.ftruncateSync(fd, state.neededBytes);
  } finally {
    fs.closeSync(fd);
  }
}
