// `breakglass index --follow PATH`: tail a file audit device's log. Every LIVE_INTERVAL_MS the
// file is indexed from its committed progress (the ingest identity rules: the content's head, and
// the bytes before its indexed end, are its identity). Rotation is noticed as an inode change
// (rename, then Vault reopens after SIGHUP), a shrink, a new head or other bytes before the indexed
// end (copytruncate); the rotated content is then "drained": found again in the same directory by
// inode (renamed) or by its head (a copy, or its gzip), and indexed to its end from where it
// stopped, for DRAIN_QUIET_MS after it last grew (Vault keeps writing to a renamed file until it
// reopens). A line is never lost nor indexed twice: progress is committed per content, whatever
// name it has.
import fs from "node:fs";
import path from "node:path";
import { contentFrom, hashHead, HEAD_BYTES, isGzip, readHead } from "../ingest/content-stream.js";
import {
  holdsKnownContent,
  type Indexer,
  type IndexPathsOptions,
  type IndexSummary,
} from "../ingest/index-files.js";
import type { FileMeta } from "../store/format.js";
import { readFileMetas } from "../store/index-reader.js";

/** How long a rotated file is still watched after it last grew. */
export const DRAIN_QUIET_MS = 10_000;

interface Draining {
  readonly id: number;
  readonly ino: number | undefined;
  quietSinceMs: number;
  doneBytes: number;
}

export interface FollowStep {
  readonly records: number;
  readonly rotated: boolean;
  readonly summaries: readonly IndexSummary[];
}

function headMatches(head: Buffer, meta: FileMeta): boolean {
  return (
    meta.headBytes > 0 &&
    meta.headBytes <= head.length &&
    hashHead(head.subarray(0, meta.headBytes)) === meta.headHash
  );
}

/** Whether the file still holds `meta`'s content through its indexed end (false if it is gone). */
function holdsContent(file: string, meta: FileMeta): boolean {
  try {
    return holdsKnownContent(file, fs.statSync(file).size, meta);
  } catch {
    return false;
  }
}

async function plainHead(file: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of contentFrom(file, false, 0)) {
    parts.push(b);
    if (parts.reduce((n, p) => n + p.length, 0) >= HEAD_BYTES) break;
  }
  return Buffer.concat(parts).subarray(0, HEAD_BYTES);
}

export class FileFollower {
  private ino: number | undefined;
  private current: FileMeta | undefined;
  private readonly draining: Draining[] = [];
  private readonly file: string;

  constructor(
    private readonly indexer: Indexer,
    file: string,
    private readonly opts: Omit<IndexPathsOptions, "byPath"> & {
      readonly onWarning?: (message: string) => void;
      readonly now?: () => number;
    } = {},
  ) {
    this.file = path.resolve(file);
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private metas(): FileMeta[] {
    return readFileMetas(this.indexer.env);
  }

  /** The indexed content the file at our path is now (the furthest indexed of equal heads). */
  private async identify(): Promise<FileMeta | undefined> {
    let head: Buffer;
    try {
      head = await plainHead(this.file);
    } catch {
      return undefined;
    }
    const matches = this.metas().filter((m) => headMatches(head, m) && holdsContent(this.file, m));
    matches.sort((a, b) => b.doneBytes - a.doneBytes || b.id - a.id);
    return matches[0];
  }

  /** Files in the directory that hold a drained content now: by inode, or by head. */
  private async findRotated(d: Draining, meta: FileMeta): Promise<string[]> {
    const dir = path.dirname(this.file);
    const base = path.basename(this.file);
    const out: string[] = [];
    for (const name of fs.readdirSync(dir)) {
      const p = path.join(dir, name);
      if (!name.startsWith(base) || p === this.file) continue;
      try {
        const st = fs.statSync(p);
        if (!st.isFile()) continue;
        if (d.ino !== undefined && st.ino === d.ino) {
          out.push(p);
          continue;
        }
        if (headMatches(await readHead(p, isGzip(p), meta.headBytes), meta)) out.push(p);
      } catch {
        // rotated away while we looked
      }
    }
    return out;
  }

  async step(): Promise<FollowStep> {
    const summaries: IndexSummary[] = [];
    const run = async (paths: string[]): Promise<void> => {
      if (paths.length > 0) summaries.push(await this.indexer.indexPaths(paths, this.opts));
    };
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(this.file);
    } catch {
      st = undefined;
    }
    let rotated = false;
    if (this.current !== undefined) {
      const cur = this.current;
      rotated =
        st === undefined ||
        st.ino !== this.ino ||
        !holdsContent(this.file, cur) ||
        !headMatches(await plainHead(this.file).catch(() => Buffer.alloc(0)), cur);
      if (rotated) {
        this.draining.push({
          id: cur.id,
          ino: this.ino,
          quietSinceMs: this.now(),
          doneBytes: cur.doneBytes,
        });
        this.current = undefined;
      }
    }
    // The rotated content first: its lines come before the new file's.
    for (const d of [...this.draining]) {
      const meta = this.metas().find((m) => m.id === d.id);
      if (!meta) continue;
      await run(await this.findRotated(d, meta));
      const after = this.metas().find((m) => m.id === d.id)!;
      if (after.doneBytes !== d.doneBytes) {
        d.doneBytes = after.doneBytes;
        d.quietSinceMs = this.now();
      } else if (this.now() - d.quietSinceMs > DRAIN_QUIET_MS) {
        this.draining.splice(this.draining.indexOf(d), 1);
      }
    }
    if (st !== undefined) {
      this.ino = st.ino;
      if (st.size > 0) await run([this.file]);
      this.current = await this.identify();
    }
    return {
      records: summaries.reduce((n, s) => n + s.records, 0),
      rotated,
      summaries,
    };
  }

  /** Whether rotated files are still being watched. */
  get drainingCount(): number {
    return this.draining.length;
  }
}
