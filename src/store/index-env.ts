// Opening an index directory: the one LMDB environment and its named databases, the format check,
// and the file modes (the index holds what the log holds: directory 0700, files 0600).
// The only module besides the writer and reader halves that imports lmdb.
import fs from "node:fs";
import path from "node:path";
import { open, type Database, type RootDatabase } from "lmdb";
import { InputError } from "../errors.js";
import { FORMAT_VERSION, INDEX_FILE } from "./format.js";

export interface IndexEnv {
  readonly dir: string;
  readonly root: RootDatabase;
  readonly meta: Database<unknown, string>;
  readonly files: Database<unknown, number>;
  readonly segments: Database<unknown, number>;
  readonly blocks: Database<Buffer, Buffer>;
  readonly terms: Database<Buffer, Buffer>;
  readonly bad: Database<string, Buffer>;
  close(): Promise<void>;
}

/** Make the index private: 0700 directory, 0600 files, whatever the umask. */
export function securePaths(dir: string): void {
  fs.chmodSync(dir, 0o700);
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    try {
      if (fs.statSync(file).isFile()) fs.chmodSync(file, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err; // renamed meanwhile
    }
  }
}

/**
 * Whether `dir` holds an index. A directory that cannot be looked into is not "no index": that
 * would send the user to build one where they cannot even read.
 */
export function indexExists(dir: string): boolean {
  try {
    fs.statSync(path.join(dir, INDEX_FILE));
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return false;
    if (code === "EACCES" || code === "EPERM") {
      throw new InputError(`cannot read the index at ${dir}: permission denied`);
    }
    throw new InputError(`cannot read the index at ${dir}: ${(err as Error).message}`);
  }
}

/** Create the index directory (0700) if it is not there yet. */
export function ensureIndexDir(dir: string): void {
  const oldUmask = process.umask(0o077);
  try {
    // Not `recursive` when the parent exists: Node 20's recursive mkdir spins forever on a
    // path it cannot create under /proc (seen with --db /proc/x).
    if (!fs.existsSync(dir)) {
      if (fs.existsSync(path.dirname(dir))) fs.mkdirSync(dir, { mode: 0o700 });
      else fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
  } catch (err) {
    throw new InputError(`cannot create the index directory ${dir}: ${(err as Error).message}`);
  } finally {
    process.umask(oldUmask);
  }
}

/**
 * Open the environment. Writing (readOnly false) is for the holder of the writer lock only
 * (store/writer-lock.ts, taken by ingest's Indexer); readers never take it.
 */
export function openIndexEnv(dir: string, opts: { create: boolean; readOnly?: boolean }): IndexEnv {
  if (!indexExists(dir)) {
    if (!opts.create) {
      throw new InputError(
        `no index at ${dir}`,
        "run `breakglass index PATH...` first, or point --db / $BREAKGLASS_DB at an index",
      );
    }
    ensureIndexDir(dir);
  }
  const oldUmask = process.umask(0o077);
  let root: RootDatabase;
  try {
    root = open({
      path: path.join(dir, INDEX_FILE),
      maxDbs: 12,
      // Readers (query, shell) may run while an indexer writes: LMDB's MVCC makes that safe.
      readOnly: opts.readOnly ?? false,
      // 64 GiB of address space; the file grows only as written.
      mapSize: 64 * 1024 ** 3,
    });
  } catch (err) {
    throw new InputError(`cannot open the index at ${dir}: ${(err as Error).message}`);
  } finally {
    process.umask(oldUmask);
  }
  const env: IndexEnv = {
    dir,
    root,
    meta: root.openDB<unknown, string>("meta", {}),
    files: root.openDB<unknown, number>("files", { keyEncoding: "uint32" }),
    segments: root.openDB<unknown, number>("segments", { keyEncoding: "uint32" }),
    blocks: root.openDB<Buffer, Buffer>("blocks", { keyEncoding: "binary", encoding: "binary" }),
    terms: root.openDB<Buffer, Buffer>("terms", { keyEncoding: "binary", encoding: "binary" }),
    bad: root.openDB<string, Buffer>("bad", { keyEncoding: "binary", encoding: "string" }),
    close: () => root.close(),
  };
  const version = env.meta.get("format");
  if (version === undefined) {
    if (opts.readOnly) throw new InputError(`the index at ${dir} is empty`);
    env.meta.putSync("format", FORMAT_VERSION);
  } else if (version !== FORMAT_VERSION) {
    void root.close();
    throw new InputError(
      `the index at ${dir} has format version ${String(version)}; this breakglass reads version ${FORMAT_VERSION}`,
      "rebuild it: remove the directory and run `breakglass index` on the logs again",
    );
  }
  if (!opts.readOnly) securePaths(dir);
  return env;
}
