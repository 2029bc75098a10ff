// One step of the listener's indexer: index every spool file from its committed progress (the
// files are registered by path, each with the source written beside it: its endpoint and peer),
// delete the closed ones that are fully committed (their FileMeta stays, so stats still count
// them), and warn when the spool grows past its cap. A file is closed when the listener said so,
// or when it was there before the listener started: never on its size alone, for the listener
// creates a file an instant before it writes its first line. Crash safety is
// the ingest writer's: a chunk and its file's progress commit in one transaction, so a restart
// indexes each spool byte exactly once.
import fs from "node:fs";
import type { Indexer, IndexPathsOptions, IndexSummary } from "../ingest/index-files.js";
import { readFileMetas } from "../store/index-reader.js";
import {
  listSpoolFiles,
  readSpoolSource,
  removeOrphanSources,
  sourceFileOf,
  SPOOL_WARN_BYTES,
} from "./spool.js";

/** Repeat the cap warning at most this often. */
const WARN_EVERY_MS = 10_000;

export interface SpoolStepResult {
  readonly summary: IndexSummary;
  /** Spool bytes not yet committed after this step. */
  readonly backlogBytes: number;
  readonly deleted: number;
}

export class SpoolIndexer {
  private lastWarnMs = 0;
  /** The source of files spooled without one beside them (by a version before peers were kept). */
  private fallbackSource: string | undefined;
  /** Spool files the listener will not append to again. */
  private readonly closed = new Set<string>();
  /** Each spool file's source, read once. */
  private readonly sources = new Map<string, string | undefined>();

  /** Make it before the listener starts: the files already there are closed (a past run's). */
  constructor(
    private readonly indexer: Indexer,
    private readonly spoolDir: string,
    private readonly opts: Omit<IndexPathsOptions, "byPath" | "source"> & {
      readonly warnBytes?: number;
      readonly onWarning?: (message: string) => void;
    } = {},
  ) {
    removeOrphanSources(spoolDir);
    for (const f of listSpoolFiles(spoolDir)) this.closed.add(f.path);
  }

  /** The source of a spool file with none beside it, e.g. `listen tcp 127.0.0.1:8200`. */
  setFallbackSource(source: string): void {
    this.fallbackSource = source;
  }

  /** The listener will not append to `file` again: once committed it may go. */
  fileClosed(file: string): void {
    this.closed.add(file);
  }

  private sourceOf(file: string): string | undefined {
    if (!this.sources.has(file)) this.sources.set(file, readSpoolSource(file));
    return this.sources.get(file) ?? this.fallbackSource;
  }

  /**
   * Index what the spool holds; delete each closed file once committed. `stopped`: the listener
   * has stopped, so every file is closed.
   */
  async step(stopped = false): Promise<SpoolStepResult> {
    const files = listSpoolFiles(this.spoolDir);
    const summary = await this.indexer.indexPaths(
      files.map((f) => f.path),
      { ...this.opts, byPath: true, source: (file) => this.sourceOf(file) },
    );
    const metas = new Map(readFileMetas(this.indexer.env).map((m) => [m.path, m]));
    let backlogBytes = 0;
    let deleted = 0;
    for (const f of files) {
      const meta = metas.get(f.path);
      let size: number;
      try {
        size = fs.statSync(f.path).size;
      } catch {
        continue;
      }
      const done = meta ? meta.doneBytes : 0;
      backlogBytes += Math.max(0, size - done);
      const complete = meta !== undefined && done === size && meta.tailBad === undefined;
      if ((stopped || this.closed.has(f.path)) && (complete || size === 0)) {
        fs.rmSync(f.path, { force: true });
        fs.rmSync(sourceFileOf(f.path), { force: true });
        this.closed.delete(f.path);
        this.sources.delete(f.path);
        deleted++;
      }
    }
    const warnBytes = this.opts.warnBytes ?? SPOOL_WARN_BYTES;
    if (backlogBytes > warnBytes && Date.now() - this.lastWarnMs > WARN_EVERY_MS) {
      this.lastWarnMs = Date.now();
      this.opts.onWarning?.(
        `the spool holds ${(backlogBytes / 2 ** 20).toFixed(0)} MiB not yet indexed ` +
          `(over ${(warnBytes / 2 ** 20).toFixed(0)} MiB): the indexer is behind; still accepting`,
      );
    }
    return { summary, backlogBytes, deleted };
  }
}
