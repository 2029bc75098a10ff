// Opening an index directory: the one LMDB environment and its named databases, the format check,
// the check that the file is whole before LMDB maps it (store/lmdb-file-check.ts), and the file
// modes (the index holds what the log holds: directory 0700, files 0600).
// The only module besides the writer and reader halves that imports lmdb.
import fs from "node:fs";
import path from "node:path";
import { open, type Database, type DatabaseOptions, type Key, type RootDatabase } from "lmdb";
import { InputError } from "../errors.js";
import { FORMAT_VERSION, INDEX_FILE, READABLE_FORMATS } from "./format.js";
import { damagedIndex, isDamage, readingIndex, REBUILD_HINT } from "./index-damage.js";
import { checkLmdbFile, coverLastPage } from "./lmdb-file-check.js";
import { verifyBeforeWrite } from "./meta-records.js";

export interface IndexEnv {
  readonly dir: string;
  readonly root: RootDatabase;
  readonly meta: Database<unknown, string>;
  /** Values are checked JSON: read and write them through store/meta-records.ts. */
  readonly files: Database<Buffer, number>;
  readonly segments: Database<Buffer, number>;
  readonly blocks: Database<Buffer, Buffer>;
  readonly terms: Database<Buffer, Buffer>;
  readonly bad: Database<Buffer, Buffer>;
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
  // Only a new (or never stamped) index gets its databases created: in a stamped one a missing
  // database is damage, and creating it would be writing into a damaged index.
  const isNew = !indexExists(dir);
  if (!isNew) {
    checkLmdbFile(dir);
  } else {
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
    if (isDamage(err)) throw damagedIndex(dir, `LMDB cannot open it (${(err as Error).message})`);
    throw new InputError(`cannot open the index at ${dir}: ${(err as Error).message}`);
  } finally {
    process.umask(oldUmask);
  }
  let env: IndexEnv;
  let stamp: boolean;
  try {
    ({ env, stamp } = openDatabases(dir, root, isNew, opts.readOnly ?? false));
    // Never write into a damaged index: a writer opens only one whose metadata is whole.
    if (!isNew && !opts.readOnly) verifyBeforeWrite(env);
  } catch (err) {
    void root.close();
    throw err;
  }
  if (stamp) {
    env.meta.putSync("format", FORMAT_VERSION);
    coverLastPage(dir);
  }
  if (!opts.readOnly) securePaths(dir);
  return env;
}

/**
 * The named databases of a new index (created) or an existing one (checked: format stamp, every
 * database present). `stamp`: the index has no format stamp yet and the writer is to put it.
 */
function openDatabases(
  dir: string,
  root: RootDatabase,
  isNew: boolean,
  readOnly: boolean,
): { env: IndexEnv; stamp: boolean } {
  let create = isNew;
  let restamp = false;
  const named = <V, K extends Key>(name: string, options: DatabaseOptions): Database<V, K> => {
    // `create` is lmdb's option (its typings omit it): false opens only what exists.
    const withCreate = { ...options, create } as DatabaseOptions;
    const db = readingIndex(dir, `its ${name} database`, () =>
      root.openDB<V, K>(name, withCreate),
    ) as Database<V, K> | undefined;
    // lmdb answers undefined for a database that is not there (and may not be created).
    if (!db) throw damagedIndex(dir, `its ${name} database is missing`);
    return db;
  };
  const meta = named<unknown, string>("meta", {});
  if (!isNew) {
    const version = readingIndex(dir, "its format stamp", () => meta.get("format"));
    if (version === undefined) {
      if (readingIndex(dir, "its meta database", () => meta.get("next")) !== undefined) {
        throw damagedIndex(dir, "its format stamp is missing");
      }
      // A first run stopped before it stamped the index: nothing was committed to it yet.
      if (readOnly) throw new InputError(`the index at ${dir} is empty`);
      create = true;
    } else if (typeof version !== "number") {
      throw damagedIndex(dir, "its format stamp is not a version number");
    } else if (!READABLE_FORMATS.includes(version)) {
      throw new InputError(
        `the index at ${dir} has format version ${version}; this breakglass reads versions ${READABLE_FORMATS.join(" and ")}`,
        REBUILD_HINT,
      );
    } else if (version !== FORMAT_VERSION && !readOnly) {
      // An older version this code reads: a writer may add blocks it has no layout for.
      restamp = true;
    }
  }
  const binary = { keyEncoding: "binary", encoding: "binary" } as const;
  const byId = { keyEncoding: "uint32", encoding: "binary" } as const;
  const env: IndexEnv = {
    dir,
    root,
    meta,
    files: named<Buffer, number>("files", byId),
    segments: named<Buffer, number>("segments", byId),
    blocks: named<Buffer, Buffer>("blocks", binary),
    terms: named<Buffer, Buffer>("terms", binary),
    bad: named<Buffer, Buffer>("bad", binary),
    close: () => root.close(),
  };
  return { env, stamp: create || restamp };
}
