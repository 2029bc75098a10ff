// `breakglass listen`: a Vault socket audit device. The listener thread (listener-thread.ts)
// accepts connections and appends whole lines to the spool; this main thread indexes the spool
// every LIVE_INTERVAL_MS (spool-indexer.ts), hands each committed entry to `onRecords` (alerts),
// and compacts small segments. stop() is the graceful shutdown: stop accepting, index all that
// was spooled, close. After kill -9 a restart indexes what the spool still holds.
import type { InputMode } from "../audit/framing/input-mode.js";
import os from "node:os";
import { Worker } from "node:worker_threads";
import { InputError } from "../errors.js";
import { Indexer, type IndexerLockOptions, type IndexPathsOptions } from "../ingest/index-files.js";
import { distFile } from "../built-worker.js";
import type { ListenerMessage, ListenerThreadData } from "./listener-thread.js";
import { startLiveLoop, LIVE_INTERVAL_MS } from "./live-loop.js";
import { maybeCompact } from "./maybe-compact.js";
import {
  DEFAULT_LISTENER_LIMITS,
  emptyListenerStats,
  type Endpoint,
  type ListenerLimits,
  type ListenerStats,
} from "./socket-listener.js";
import { SpoolIndexer } from "./spool-indexer.js";
import { spoolDirOf, SPOOL_ROTATE_BYTES } from "./spool.js";

export interface ListenOptions {
  readonly endpoints: readonly Endpoint[];
  /** What a peer can make the listener hold (defaults: DEFAULT_LISTENER_LIMITS). */
  readonly limits?: Partial<ListenerLimits> | undefined;
  readonly prefix?: string | undefined;
  /** The framings accepted (`--input`); default auto. */
  readonly input?: InputMode | undefined;
  /** Parse workers; default one core fewer than there are (the listener thread keeps one). */
  readonly workers?: number | undefined;
  /** A longer line is a bad line, skipped (default: ingest's MAX_LINE_BYTES). */
  readonly maxLineBytes?: number | undefined;
  readonly intervalMs?: number | undefined;
  readonly rotateBytes?: number | undefined;
  readonly warnBytes?: number | undefined;
  readonly onRecords?: IndexPathsOptions["onRecords"];
  /** The `--device` label of the records (field `device`). */
  readonly device?: string | undefined;
  readonly onWarning?: ((message: string) => void) | undefined;
  /** Wait for another writer of the index (default), or fail at once. */
  readonly wait?: boolean | undefined;
  readonly onWait?: IndexerLockOptions["onWait"];
  /** After each indexing step: records committed in it and the spool backlog left. */
  readonly onStep?: ((records: number, backlogBytes: number) => void) | undefined;
}

export interface Listening {
  readonly addresses: readonly string[];
  /** Graceful shutdown; resolves with what this run received and indexed. */
  stop(): Promise<{ bytesReceived: number; records: number; listener: ListenerStats }>;
  /** Resolves (never rejects) if the listener fails on its own (e.g. the disk is full). */
  readonly failed: Promise<Error>;
}

/** The limits given over the defaults (a flag left out is undefined and changes nothing). */
function listenerLimits(given: Partial<ListenerLimits>): ListenerLimits {
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const limits: ListenerLimits = { ...DEFAULT_LISTENER_LIMITS, ...set };
  // One line as long as --max-line-bytes allows must fit the budget of all unfinished lines.
  return given.maxBufferedBytes === undefined
    ? { ...limits, maxBufferedBytes: Math.max(limits.maxBufferedBytes, limits.maxLineBytes) }
    : limits;
}

export async function listen(dbDir: string, opts: ListenOptions): Promise<Listening> {
  const spoolDir = spoolDirOf(dbDir);
  const warn = opts.onWarning ?? (() => {});
  // The index first: it creates the index directory the spool lives in, and its writer lock
  // (held until stop) makes this the index's only listener, so the only appender to the spool.
  const indexer = await Indexer.open(dbDir, {
    workers: opts.workers ?? Math.max(1, os.availableParallelism() - 1),
    command: "breakglass listen",
    wait: opts.wait,
    onWait: opts.onWait,
    maxLineBytes: opts.maxLineBytes,
  });
  const spool = new SpoolIndexer(indexer, spoolDir, {
    prefix: opts.prefix,
    input: opts.input,
    warnBytes: opts.warnBytes,
    onWarning: warn,
    onRecords: opts.onRecords,
    device: opts.device,
  });
  let records = 0;
  let warnedRawTokens = false;
  let failWith: (e: Error) => void = () => {};
  const failed = new Promise<Error>((r) => (failWith = r));

  const data: ListenerThreadData = {
    spoolDir,
    endpoints: opts.endpoints,
    rotateBytes: opts.rotateBytes ?? SPOOL_ROTATE_BYTES,
    limits: listenerLimits(opts.limits ?? {}),
  };
  const thread = new Worker(distFile("src", "live", "listener-thread.js"), { workerData: data });
  let onStopped: (stats: ListenerStats | undefined) => void = () => {};
  const stopped = new Promise<ListenerStats | undefined>((r) => (onStopped = r));
  let addresses: readonly string[];
  try {
    addresses = await new Promise<readonly string[]>((resolve, reject) => {
      thread.on("message", (m: ListenerMessage) => {
        switch (m.kind) {
          case "listening":
            resolve(m.addresses);
            return;
          case "closed":
            spool.fileClosed(m.file);
            return;
          case "warning":
            warn(m.message);
            return;
          case "stopped":
            onStopped(m.stats);
            return;
          case "failed":
            reject(new InputError(`cannot listen: ${m.message}`));
            return;
        }
      });
      thread.on("error", (err) => {
        const e = new InputError(`the listener failed: ${err.message}`);
        reject(e);
        failWith(e);
        onStopped(undefined);
      });
    });
  } catch (err) {
    await thread.terminate();
    await indexer.close();
    throw err;
  }
  // Only a spool file left by a version that did not keep its peer lacks a source of its own.
  spool.setFallbackSource(`listen ${addresses.join(", ")}`);

  const step = async (): Promise<void> => {
    const { summary, backlogBytes } = await spool.step();
    records += summary.records;
    for (const b of summary.firstBadLines) {
      if (!b.reason.endsWith("(last line, no newline)")) warn(`${b.file}:${b.line}: ${b.reason}`);
    }
    for (const e of summary.fileErrors) warn(e);
    if (summary.rawTokenFiles.length > 0 && !warnedRawTokens) {
      warnedRawTokens = true;
      warn(
        "warning: the stream holds plaintext tokens (a log_raw audit device): " +
          "the index now holds live secrets; protect it like the log",
      );
    }
    maybeCompact(indexer, warn);
    opts.onStep?.(summary.records, backlogBytes);
  };
  const loop = startLiveLoop(
    step,
    (err) => warn(`indexing: ${(err as Error).message}`),
    opts.intervalMs ?? LIVE_INTERVAL_MS,
  );

  return {
    addresses,
    failed,
    async stop() {
      thread.postMessage({ kind: "stop" });
      const stats = await stopped;
      await loop.stop();
      try {
        // Everything spooled is indexed before we exit (the spool would replay it anyway).
        for (let i = 0; i < 3; i++) {
          const { backlogBytes } = await spool.step(true).then((r) => {
            records += r.summary.records;
            return r;
          });
          if (backlogBytes === 0) break;
        }
        maybeCompact(indexer, warn);
      } finally {
        await indexer.close();
      }
      return {
        bytesReceived: stats?.bytes ?? 0,
        records,
        listener: stats ?? emptyListenerStats(),
      };
    },
  };
}
