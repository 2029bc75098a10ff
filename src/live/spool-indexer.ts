// One step of the listener's indexer: index every spool file from its committed progress (the
// files are registered by path), delete the closed ones that are fully committed (their FileMeta
// stays, so stats still count them), and warn when the spool grows past its cap. Crash safety is
// the ingest writer's: a chunk and its file's progress commit in one transaction, so a restart
// indexes each spool byte exactly once.
import fs from "node:fs";
import type { Indexer, IndexPathsOptions, IndexSummary } from "../ingest/index-files.js";
import { readFileMetas } from "../store/index-reader.js";
import { listSpoolFiles, SPOOL_WARN_BYTES } from "./spool.js";

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
  /** The `source` of the spool's records: the listener's addresses, known once it listens. */
  private source: string | undefined;

  constructor(
    private readonly indexer: Indexer,
    private readonly spoolDir: string,
    private readonly opts: Omit<IndexPathsOptions, "byPath"> & {
      readonly warnBytes?: number;
      readonly onWarning?: (message: string) => void;
    } = {},
  ) {}

  /**
   * Index what the spool holds. `current` is the file the listener is appending to (undefined
   * when it has stopped): every other spool file is closed and may go once committed.
   */
  setSource(source: string): void {
    this.source = source;
  }

  async step(current: string | undefined): Promise<SpoolStepResult> {
    const files = listSpoolFiles(this.spoolDir);
    const summary = await this.indexer.indexPaths(
      files.map((f) => f.path),
      { ...this.opts, byPath: true, source: this.source },
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
      if (f.path !== current && (complete || size === 0)) {
        fs.rmSync(f.path, { force: true });
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
