// Command-line PATH arguments → the files to index: files as given, directories recursed, globs
// expanded (tinyglobby). A missing path is an input error (nothing is indexed); a path that cannot
// be read (a directory without permission, a symlink loop) or is not a regular file (a FIFO would
// block the run, /dev/zero never ends) is a problem reported as `path: reason`, and the rest is
// still indexed. A breakglass index (a directory holding index.mdb, and the --db directory) is
// never read as logs: it is skipped with a note. Nothing is read here but directory listings.
import fs from "node:fs";
import path from "node:path";
import { globSync, isDynamicPattern } from "tinyglobby";
import { InputError } from "../errors.js";
import { INDEX_FILE } from "../store/format.js";

export interface Sources {
  /** Absolute file paths, deduplicated, in a stable order (by name within each argument). */
  readonly files: readonly string[];
  /** Paths that could not be read or are not regular files: `path: reason`. */
  readonly problems: readonly string[];
  /** Paths skipped on purpose (an index), with why. */
  readonly notes: readonly string[];
}

/** The words for a file system error, as a person says them ("permission denied"). */
export function fsErrorReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ELOOP":
      return "too many levels of symbolic links";
    case "ENOENT":
      return "no such file or directory";
    case "ENOTDIR":
      return "not a directory";
    case "EISDIR":
      return "is a directory";
    default:
      return e.message ?? String(err);
  }
}

/** Why a path that is neither a file nor a directory cannot be indexed. */
function notRegular(stat: fs.Stats): string {
  const what = stat.isFIFO()
    ? "a FIFO"
    : stat.isCharacterDevice()
      ? "a character device"
      : stat.isBlockDevice()
        ? "a block device"
        : stat.isSocket()
          ? "a socket"
          : "not a file or directory";
  return `not a regular file (${what})`;
}

class Expansion {
  readonly files: string[] = [];
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  private readonly noted = new Set<string>();
  private readonly indexDirs = new Map<string, boolean>();

  constructor(private readonly dbDir: string | undefined) {}

  /** Whether `dir` is a breakglass index (or the --db directory): skipped, with a note once. */
  skipsIndex(dir: string): boolean {
    let isIndex = this.indexDirs.get(dir);
    if (isIndex === undefined) {
      isIndex = dir === this.dbDir || fs.existsSync(path.join(dir, INDEX_FILE));
      this.indexDirs.set(dir, isIndex);
    }
    if (isIndex && !this.noted.has(dir)) {
      this.noted.add(dir);
      this.notes.push(`skipped ${dir}: it is a breakglass index, not logs`);
    }
    return isIndex;
  }

  /** Whether `dir` or a directory above it is an index: for named paths and glob matches. */
  underIndex(dir: string): boolean {
    for (let d = dir; ; d = path.dirname(d)) {
      if (this.skipsIndex(d)) return true;
      if (path.dirname(d) === d) return false;
    }
  }

  walk(dir: string, out: string[]): void {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      this.problems.push(`${dir}: cannot read the directory: ${fsErrorReason(err)}`);
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue; // .breakglass and friends
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!this.skipsIndex(full)) this.walk(full, out);
      } else if (entry.isFile()) out.push(full);
    }
  }

  /** A named (or matched) path that exists: a regular file, or why not. */
  addFile(file: string, stat: fs.Stats): void {
    if (!stat.isFile()) this.problems.push(`${file}: ${notRegular(stat)}`);
    else if (!this.underIndex(path.dirname(file))) this.files.push(file);
  }

  add(arg: string): void {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(arg);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") {
        if (isDynamicPattern(arg)) return this.addGlob(arg);
        throw new InputError(`no such file or directory: ${arg}`);
      }
      this.problems.push(`${arg}: ${fsErrorReason(err)}`);
      return;
    }
    const full = path.resolve(arg);
    if (stat.isDirectory()) {
      if (this.underIndex(full)) return;
      const found: string[] = [];
      this.walk(full, found);
      this.files.push(...found.sort());
    } else if (!stat.isFile()) {
      this.problems.push(`${arg}: ${notRegular(stat)}`);
    } else {
      this.addFile(full, stat);
    }
  }

  addGlob(pattern: string): void {
    const found = globSync(pattern, { absolute: true, onlyFiles: true, dot: false });
    if (found.length === 0) throw new InputError(`no file matches ${pattern}`);
    for (const file of found.sort()) {
      try {
        this.addFile(file, fs.statSync(file));
      } catch (err) {
        this.problems.push(`${file}: ${fsErrorReason(err)}`);
      }
    }
  }
}

/** What to index for these arguments; `dbDir` (the index being written) is never read. */
export function expandSources(args: readonly string[], dbDir?: string): Sources {
  const x = new Expansion(dbDir === undefined ? undefined : path.resolve(dbDir));
  for (const arg of args) x.add(arg);
  return { files: [...new Set(x.files)], problems: x.problems, notes: x.notes };
}
