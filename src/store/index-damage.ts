// What does the user hear when the index's bytes are not what was written (a truncated file, a
// flipped byte)? One message for every such case, naming the damaged part, with the one fix
// there is: rebuild. Every read of the store turns a failed checksum (codec ChecksumError) or
// LMDB's own corruption errors into it, so damage is an input error (exit 3), never a wrong
// answer and never a crash report.
import { ChecksumError } from "../codec/checksum.js";
import { InputError } from "../errors.js";

export const REBUILD_HINT =
  "rebuild it: remove the directory and run `breakglass index` on the logs again";

/** The index at `dir` is damaged; `what` names the part ("segment 12's term page 0 for ip fails its checksum"). */
export function damagedIndex(dir: string, what: string): InputError {
  return new InputError(`the index at ${dir} is damaged: ${what}`, REBUILD_HINT);
}

/**
 * LMDB's errors that mean its file is not what it wrote (mdb_strerror names them): a page out of
 * range or of the wrong kind, a bad meta page, a database record whose flags are not the ones
 * we always open it with (MDB_INCOMPATIBLE). MDB_BAD_TXN too: on our reads (one pinned read
 * transaction, never reused after it ends) it follows a page LMDB could not use, which marks the
 * transaction failed (LMDB prints "page N not found" first), or a node flag no database of ours
 * sets ("Invalid dupdata flag").
 */
const LMDB_DAMAGE =
  /^(MDB_PAGE_NOTFOUND|MDB_CORRUPTED|MDB_PANIC|MDB_VERSION_MISMATCH|MDB_INVALID|MDB_BAD_CHECKSUM|MDB_BAD_VALSIZE|MDB_BAD_TXN|MDB_INCOMPATIBLE)\b/;

/** Whether `err` says the stored bytes are damaged (rather than a bug or a full disk). */
export function isDamage(err: unknown): boolean {
  return err instanceof ChecksumError || (err instanceof Error && LMDB_DAMAGE.test(err.message));
}

/**
 * The error to throw for `err`, met while reading `where` ("segment 12's record block 3"): the
 * damaged-index error when it says the bytes are damaged, else `err` itself (an InputError is
 * already the user's; anything else is a bug).
 */
export function asDamage(err: unknown, dir: string, where: string): unknown {
  if (err instanceof ChecksumError) return damagedIndex(dir, `${where} ${err.message}`);
  if (isDamage(err)) {
    return damagedIndex(dir, `${where} cannot be read (${(err as Error).message})`);
  }
  return err;
}

/** Run a read of the index, with asDamage on what it throws. */
export function readingIndex<T>(dir: string, where: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw asDamage(err, dir, where);
  }
}
