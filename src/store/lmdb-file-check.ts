// Is index.mdb whole enough to hand to LMDB? LMDB maps the file into memory and trusts it: a file
// cut short makes a read of a page past its end fault (SIGBUS: the process dies with no message),
// and a writer would build on the missing pages. So before LMDB opens it, read LMDB's two meta
// pages ourselves (page 0 at offset 0, page 1 at offset pageSize) with plain file reads: each must
// be a meta page with LMDB's magic 0xBEEFC0DE and data version 2, of one page size; the newer one
// (by transaction id) names the last page in use, so a file shorter than (lastPage + 1) × pageSize
// is truncated. Cost: two 4 KiB reads and an fstat per open.
//
// Meta page layout (liblmdb mdb.c in the lmdb package, 64-bit, native = little-endian): page
// header (u64 pgno, u64 txnid, u16 pad, u16 flags, u32 lower/upper) = 24 bytes, then MDB_meta:
// u32 magic, u32 version, u64 address, u64 mapsize, two MDB_db of 48 bytes (the first's u32
// md_pad is the page size), u64 last_pg, u64 txnid.
import fs from "node:fs";
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

/** Throws the damaged-index error when `file` (an LMDB data file in `dir`) is not whole. */
export function checkLmdbFile(dir: string, file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    return; // unreadable: LMDB's open reports it
  }
  let problem: string | undefined;
  try {
    const first = metaPage(fd, 0, 0);
    const second = typeof first === "string" ? undefined : metaPage(fd, first.pageSize, 1);
    if (typeof first === "string") {
      problem = first;
    } else if (typeof second === "string" || second === undefined) {
      problem = second;
    } else if (first.pageSize !== second.pageSize) {
      problem = `index.mdb's LMDB meta pages disagree on the page size`;
    } else {
      // After the meta pages: a writer extends the file before it commits a meta page, so a
      // commit between the two reads only makes the file longer than needed.
      const bytes = BigInt(fs.fstatSync(fd).size);
      const newest = first.txnid >= second.txnid ? first : second;
      const needed = (newest.lastPage + 1n) * BigInt(first.pageSize);
      if (bytes < needed) {
        problem = `index.mdb is ${bytes} bytes but LMDB's meta page says it holds ${needed} (truncated)`;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  if (problem !== undefined) throw damagedIndex(dir, problem);
}
