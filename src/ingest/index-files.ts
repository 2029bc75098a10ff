// `breakglass index`: files → newline-aligned chunks → parse workers (in parallel) → the single
// writer (in order). Incremental and idempotent: a known file resumes where it stopped, a file
// whose head differs is new, a rotated copy (renamed or gzipped) of a known file is recognized by
// its content. Memory is bounded by MAX_IN_FLIGHT chunks whatever the input size.
// The machinery (env, writer, parse pool) lives in an Indexer so the live loop (src/live/) can
// run it again every half second without reopening anything; indexFiles() is one run of it.
// Where committed chunks go is a ChunkSink: the local index's writer, or another store
// (backend/clickhouse/ loads ClickHouse through the same planning, resuming and parsing).
import fs from "node:fs";
import path from "node:path";
import { pickTime } from "../audit/time-key.js";
import type { FileMeta } from "../store/format.js";
import {
  ensureIndexDir,
  indexExists,
  openIndexEnv,
  securePaths,
  type IndexEnv,
} from "../store/index-env.js";
import { readFileMetas } from "../store/index-reader.js";
import { IndexWriter } from "../store/index-writer.js";
import {
  acquireWriterLock,
  type WriterLock,
  type WriterLockOptions,
} from "../store/writer-lock.js";
import { contentFrom, hashHead, HEAD_BYTES, isGzip, readHead } from "./content-stream.js";
import { expandSources, fsErrorReason } from "./expand-sources.js";
import type { FramingName, InputMode } from "../audit/framing/input-mode.js";
import { sniffFraming, SNIFF_BYTES, type Sniffed } from "../audit/framing/sniff-framing.js";
import { isPartialLine } from "../audit/framing/unwrap-line.js";
import { ChunkBuffers } from "./chunk-buffers.js";
import { ContentDigests } from "./content-digests.js";
import { forEachResultRecord } from "./result-records.js";
import {
  lineChunks,
  plainFileLineChunks,
  type ContentPiece,
  type LineChunk,
} from "./line-chunks.js";
import { longLineResult, MAX_LINE_BYTES } from "./long-lines.js";
import { defaultWorkers, PARSE_WORKER, ParsePool } from "./parse-pool.js";
import type { ParseResult, RowContext } from "./worker-protocol.js";

/** 16 MiB chunks: JSON.parse runs near full speed and a 1 GiB log makes ~64 segments to search. */
export const CHUNK_BYTES = 16 << 20;
/** Chunks parsed or waiting per worker: keeps every worker busy while the writer commits. */
const IN_FLIGHT_PER_WORKER = 2;
/** Bad lines echoed to the caller per run (all are stored for `stats`). */
const BAD_LINES_REPORTED = 10;

/** How to take the index's writer lock (store/writer-lock.ts): wait for it, or fail at once. */
export interface IndexerLockOptions {
  /** What this run is, for the message a waiting writer shows (default "breakglass index"). */
  readonly command?: string | undefined;
  readonly wait?: boolean | undefined;
  readonly onWait?: WriterLockOptions["onWait"];
  readonly signal?: AbortSignal | undefined;
}

export interface IndexOptions {
  readonly prefix?: string | undefined;
  /** The framings accepted (`--input`); default auto: detected per file and per line. */
  readonly input?: InputMode | undefined;
  readonly workers?: number | undefined;
  /** Wait for another writer of the index to finish (default), or fail at once (exit 3). */
  readonly wait?: boolean | undefined;
  readonly onWait?: IndexerLockOptions["onWait"];
  readonly chunkBytes?: number | undefined;
  /** A longer line (newline not counted) is a bad line, skipped; default MAX_LINE_BYTES. */
  readonly maxLineBytes?: number | undefined;
  /** Called with content bytes done so far and the total to do (plain files: exact). */
  readonly onProgress?: ((doneBytes: number, totalBytes: number) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
  /** The `--device` label of new files (field `device`); a file keeps the label it first got. */
  readonly device?: string | undefined;
}

/** One run of an open Indexer over resolved file paths. */
export interface IndexPathsOptions extends Omit<IndexOptions, "workers" | "maxLineBytes"> {
  /**
   * The path is the file's identity (spool files: unique names, often equal heads): a known file
   * is the one with this path, and no copy detection by content.
   */
  readonly byPath?: boolean | undefined;
  /** Called after each commit with the records just committed (original lines, prefix stripped). */
  readonly onRecords?: ((lines: readonly Buffer[], file: FileMeta) => void) | undefined;
  /**
   * Files reached through a directory: one whose first SNIFF_BYTES hold no audit entry is skipped
   * with a note (a file named explicitly is always read).
   */
  readonly throughDirectory?: ReadonlySet<string> | undefined;
  /**
   * The `source` of new files (default: the file's path), or a function of the path giving it
   * (undefined: the path), e.g. a listener's spool file → `tcp://127.0.0.1:9090 from 127.0.0.1:53012`.
   */
  readonly source?: string | ((path: string) => string | undefined) | undefined;
}

export interface BadLineReport {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

export interface IndexSummary {
  readonly files: number;
  readonly records: number;
  /** Records whose `time` is missing or does not parse (indexed, in no time range). */
  readonly noTime: number;
  readonly badLines: number;
  /** Lines that were a server's own log (a mixed stream), not audit entries: not bad lines. */
  readonly skippedLines: number;
  readonly bytes: number;
  readonly seconds: number;
  /** The first few bad lines of this run, `file:line: reason`. */
  readonly firstBadLines: readonly BadLineReport[];
  /** Files that could not be read (or ended early, or are not regular files), with why. */
  readonly fileErrors: readonly string[];
  /** What was skipped on purpose (an index met while recursing), with why. */
  readonly notes: readonly string[];
  readonly detectedPrefix: string | undefined;
  /** Files in which this run found plaintext client tokens (a log_raw audit device). */
  readonly rawTokenFiles: readonly string[];
  /** Files reached through a directory and skipped: no audit entry in their first 64 KiB. */
  readonly skippedFiles: readonly string[];
  /** Framings records came in this run, besides plain JSON (syslog, docker, cri, journal, prefix). */
  readonly framings: readonly FramingName[];
  readonly interrupted: boolean;
}

/** Content bytes at the end of what a commit indexed that, hashed, identify it with its head. */
const TAIL_BYTES = 4096;

/**
 * Whether the plain file at `file` (of `size` bytes) still holds the known content through the
 * end that was indexed: at least doneBytes long, and the same bytes where its tail identity was
 * taken. A log truncated and written again (copytruncate, then new entries) may start exactly as
 * before; the head alone would resume it from the old end, skipping, or never reaching, what is
 * new.
 */
export function holdsKnownContent(file: string, size: number, known: FileMeta): boolean {
  if (size < known.doneBytes) return false;
  const { tailHash, tailStart, tailBytes } = known;
  if (tailHash === undefined || tailStart === undefined || !tailBytes) return true;
  const tail = Buffer.alloc(tailBytes);
  const fd = fs.openSync(file, "r");
  try {
    if (fs.readSync(fd, tail, 0, tailBytes, tailStart) !== tailBytes) return false;
  } finally {
    fs.closeSync(fd);
  }
  return hashHead(tail) === tailHash;
}

/** The tail identity of a commit that consumed `consumedBytes` of `chunk`. */
function tailOf(
  chunk: LineChunk,
  consumedBytes: number,
): Pick<FileMeta, "tailHash" | "tailStart" | "tailBytes"> {
  const n = Math.min(TAIL_BYTES, consumedBytes);
  return {
    tailHash: hashHead(Buffer.from(chunk.buffer, consumedBytes - n, n)),
    tailStart: chunk.startByte + consumedBytes - n,
    tailBytes: n,
  };
}

interface Plan {
  readonly path: string;
  readonly gzip: boolean;
  readonly stat: fs.Stats;
  /** The known file this one continues, or undefined for a new file. */
  readonly known: FileMeta | undefined;
  readonly headHash: string;
  readonly headBytes: number;
  readonly head: Buffer;
  readonly sniffed: Sniffed;
}

async function planFile(
  path: string,
  known: readonly FileMeta[],
  byPath: boolean,
  input: InputMode,
): Promise<Plan> {
  const stat = fs.statSync(path);
  // Replaced by a FIFO since it was listed: reading it could block the run forever.
  if (!stat.isFile()) throw new Error("not a regular file");
  const gzip = isGzip(path);
  const sniffHead = await readHead(path, gzip, SNIFF_BYTES);
  const head = sniffHead.subarray(0, HEAD_BYTES);
  const headHash = hashHead(head);
  const sniffed = sniffFraming(sniffHead, input);
  if (byPath) {
    return {
      path,
      gzip,
      stat,
      known: known.find((k) => k.path === path),
      headHash,
      headBytes: head.length,
      head,
      sniffed,
    };
  }
  // The same content: a known file whose head is a prefix of this one's. The same path first,
  // then any (a rotated copy); the one indexed furthest wins.
  const byLength = new Map<number, string>();
  const hashOf = (n: number): string => {
    let h = byLength.get(n);
    if (h === undefined) byLength.set(n, (h = hashHead(head.subarray(0, n))));
    return h;
  };
  // A plain file must also still hold the content through its indexed end (a gzip file is an
  // archive, never rewritten in place: its head is enough).
  const matches = known.filter(
    (k) =>
      k.headBytes > 0 &&
      k.headBytes <= head.length &&
      hashOf(k.headBytes) === k.headHash &&
      (gzip || holdsKnownContent(path, stat.size, k)),
  );
  matches.sort(
    (a, b) => Number(b.path === path) - Number(a.path === path) || b.doneBytes - a.doneBytes,
  );
  return { path, gzip, stat, known: matches[0], headHash, headBytes: head.length, head, sniffed };
}

/** The records of a committed chunk, decoded back from its record blocks. */
function committedLines(result: ParseResult): Buffer[] {
  const out: Buffer[] = [];
  forEachResultRecord(result, (line) => out.push(line));
  return out;
}

/**
 * Where an indexing run puts what it parsed, and what it knows of files already indexed. The
 * run commits chunks one at a time, in file order; a file's progress (its FileMeta) is committed
 * with, or after, the chunk it counts, never before.
 */
export interface ChunkSink {
  /** Files indexed so far (their identity and progress). */
  knownFiles(): Promise<readonly FileMeta[]>;
  allocateFileId(): number;
  /** Store a parsed chunk of `file` (whose progress already counts it) and the progress. */
  commitChunk(file: FileMeta, firstLine: number, result: ParseResult): Promise<void>;
  /** Store a file's progress alone (a rename followed, an identity widened). */
  putFile(file: FileMeta): Promise<void>;
  /** What the parse workers need besides the bytes to build this file's rows, if anything. */
  rowContext?(file: FileMeta): RowContext;
}

/** The local index as a ChunkSink: its writer, synchronous and transactional. */
function localSink(env: IndexEnv, writer: IndexWriter): ChunkSink {
  return {
    knownFiles: async () => readFileMetas(env),
    allocateFileId: () => writer.allocateFileId(),
    commitChunk: async (file, firstLine, result) => {
      writer.commitChunk(file, firstLine, result);
    },
    putFile: async (file) => writer.putFile(file),
  };
}

/** The parts of an Indexer that only the local index has. */
interface LocalIndex {
  readonly env: IndexEnv;
  readonly writer: IndexWriter;
  readonly lock: WriterLock;
}

/** An open index with its writer and parse pool, for one or many indexing runs. */
export class Indexer {
  private pool: ParsePool | undefined;
  private readonly sink: ChunkSink;
  private readonly local: LocalIndex | undefined;
  /** The compiled parse worker (dist/src/…) of this store. */
  private readonly workerFile: string;
  /**
   * Chunk memory kept from one run to the next: the live loop runs every half second, and a
   * fresh 16 MiB buffer a run (zeroed by calloc, freed only when the GC gets to it) kept
   * ~100-190 MB of them resident in `listen`.
   */
  private buffers: ChunkBuffers | undefined;
  /** Each file's running content digest (chain of custody), kept from one run to the next. */
  private readonly digests = new ContentDigests();

  private constructor(
    /** The index directory (or, for another store, how it is named in messages). */
    readonly dbDir: string,
    private readonly workers: number,
    private readonly maxLineBytes: number,
    store: { local: LocalIndex } | { sink: ChunkSink; workerFile: string },
  ) {
    if ("local" in store) {
      this.local = store.local;
      this.sink = localSink(store.local.env, store.local.writer);
      this.workerFile = PARSE_WORKER;
    } else {
      this.local = undefined;
      this.sink = store.sink;
      this.workerFile = store.workerFile;
    }
  }

  /**
   * An Indexer that commits into `sink` (another store) with parse workers from `workerFile`
   * (compiled, under dist/src/). It has no env, writer or lock.
   */
  static forSink(
    name: string,
    sink: ChunkSink,
    workerFile: string,
    opts: { workers?: number | undefined; maxLineBytes?: number | undefined } = {},
  ): Indexer {
    return new Indexer(
      name,
      opts.workers ?? defaultWorkers(),
      opts.maxLineBytes ?? MAX_LINE_BYTES,
      { sink, workerFile },
    );
  }

  /** The local index's environment (an Indexer of another store has none). */
  get env(): IndexEnv {
    if (this.local === undefined) throw new Error("not a local index");
    return this.local.env;
  }

  /**
   * Take the index's writer lock (waiting for another writer, unless `wait` is false), then open
   * the index for writing. The lock is held until close(): the writer's id counters are read
   * once here and are only right while no other process writes.
   */
  static async open(
    dbDir: string,
    opts: {
      workers?: number | undefined;
      maxLineBytes?: number | undefined;
    } & IndexerLockOptions = {},
  ): Promise<Indexer> {
    ensureIndexDir(dbDir);
    indexExists(dbDir); // an index directory we cannot read says so, before any lock
    const lock = await acquireWriterLock(dbDir, {
      command: opts.command ?? "breakglass index",
      wait: opts.wait,
      onWait: opts.onWait,
      signal: opts.signal,
    });
    try {
      const env = openIndexEnv(dbDir, { create: true });
      return new Indexer(
        dbDir,
        opts.workers ?? defaultWorkers(),
        opts.maxLineBytes ?? MAX_LINE_BYTES,
        {
          local: { env, writer: new IndexWriter(env), lock },
        },
      );
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /** The writer, for store maintenance (compaction) between runs. */
  get indexWriter(): IndexWriter {
    if (this.local === undefined) throw new Error("not a local index");
    return this.local.writer;
  }

  async close(): Promise<void> {
    try {
      await this.pool?.close();
    } finally {
      this.pool = undefined;
      const local = this.local;
      if (local !== undefined) {
        try {
          securePaths(this.dbDir);
          await local.env.close();
        } finally {
          await local.lock.release();
        }
      }
    }
  }

  /** Index files (paths already expanded): what `breakglass index` does, on an open index. */
  async indexPaths(paths: readonly string[], opts: IndexPathsOptions = {}): Promise<IndexSummary> {
    const started = performance.now();
    const { sink, digests } = this;
    const workers = this.workers;
    const chunkBytes = opts.chunkBytes ?? CHUNK_BYTES;
    const byPath = opts.byPath ?? false;
    const maxLineBytes = this.maxLineBytes;
    let records = 0;
    let noTime = 0;
    let badLines = 0;
    let skippedLines = 0;
    let bytes = 0;
    const input = opts.input ?? "auto";
    const isPartial = (line: string): boolean => isPartialLine(line, input);
    const skippedFiles: string[] = [];
    const framings = new Set<FramingName>();
    let files = 0;
    let detectedPrefix: string | undefined;
    const firstBadLines: BadLineReport[] = [];
    const fileErrors: string[] = [];
    const rawTokenFiles = new Set<string>();
    const openGroupFiles = new Set<string>();
    {
      const known = await sink.knownFiles();
      const plans: Plan[] = [];
      // Copies of one log in the same run (a.log, a.log.1, a.log.1.gz): the first is indexed, the
      // others are planned again once it is committed, when they are known content.
      const deferred: string[] = [];
      for (const p of paths) {
        try {
          const plan = await planFile(p, known, byPath, input);
          const n = plan.headBytes;
          const copyOf = byPath
            ? undefined
            : plans.find((q) => {
                const m = Math.min(q.headBytes, n);
                return m > 0 && q.head.subarray(0, m).equals(plan.head.subarray(0, m));
              });
          if (copyOf) deferred.push(p);
          else plans.push(plan);
        } catch (err) {
          fileErrors.push(`${p}: cannot read: ${fsErrorReason(err)}`);
        }
      }
      const totalBytes = plans.reduce((n, p) => n + p.stat.size, 0);
      let fileBytesDone = 0;
      const progress = (n: number): void => {
        fileBytesDone += n;
        opts.onProgress?.(fileBytesDone, totalBytes);
      };

      const parsePool = (this.pool ??= new ParsePool(workers, maxLineBytes, this.workerFile));
      const maxInFlight = workers * IN_FLIGHT_PER_WORKER;
      const buffers =
        this.buffers?.chunkBytes === chunkBytes
          ? this.buffers
          : (this.buffers = new ChunkBuffers(chunkBytes));
      type Pending = { plan: Plan; chunk: ContentPiece; result: Promise<ParseResult> };
      const queue: Pending[] = [];
      const state = new Map<Plan, FileMeta>();

      const commitHead = async (): Promise<void> => {
        const { plan, chunk, result: pending } = queue.shift()!;
        const result = await pending;
        let file = state.get(plan)!;
        let { meta } = result;
        let consumedBytes = chunk.byteLength;
        let lines = meta.lines;
        let tailBad: FileMeta["tailBad"] = undefined;
        // The first line continues an unterminated last line of the previous run.
        const firstLine = file.endsOpen ? file.doneLines : file.doneLines + 1;
        const last = meta.bad[meta.bad.length - 1];
        if (meta.openGroupStart !== undefined) {
          // The content ends inside a Docker or CRI record split into parts (a followed file being
          // written): keep it out of the committed progress, read it again whole next time.
          consumedBytes = meta.openGroupStart;
          openGroupFiles.add(plan.path);
        } else if (!chunk.endsWithNewline && last && last.line === meta.lines - 1) {
          // A last line with no newline that does not parse may still be being written: report it,
          // keep it out of the committed progress, and read it again next time.
          tailBad = {
            line: firstLine + last.line,
            reason: `${last.reason} (last line, no newline)`,
          };
          meta = { ...meta, bad: meta.bad.slice(0, -1) };
          consumedBytes = chunk.lastLineStart;
          lines -= 1;
        }
        detectedPrefix ??= meta.detectedPrefix;
        for (const f of meta.framings) framings.add(f);
        const fileSkipped = (file.skippedLines ?? 0) + meta.skipped;
        const rawTokenRecords = (file.rawTokenRecords ?? 0) + meta.rawTokenRecords;
        if (meta.rawTokenRecords > 0) rawTokenFiles.add(plan.path);
        file = {
          ...file,
          // A skipped long line keeps no bytes: the tail taken before it still identifies.
          ...(chunk.kind === "lines" && consumedBytes > 0 ? tailOf(chunk, consumedBytes) : {}),
          doneBytes: chunk.startByte + consumedBytes,
          doneLines: firstLine - 1 + lines,
          endsOpen:
            !chunk.endsWithNewline && tailBad === undefined && meta.openGroupStart === undefined,
          records: file.records + meta.records,
          badLines: file.badLines + meta.bad.length,
          firstTime: pickTime(file.firstTime, meta.minTime, false),
          lastTime: pickTime(file.lastTime, meta.maxTime, true),
          tailBad,
          ...(rawTokenRecords > 0 ? { rawTokenRecords } : {}),
          ...(fileSkipped > 0 ? { skippedLines: fileSkipped } : {}),
        };
        const contentSha256 = digests.consumed(
          file.id,
          chunk.startByte,
          consumedBytes,
          chunk.kind === "lines" ? new Uint8Array(chunk.buffer, 0, consumedBytes) : undefined,
        );
        file = { ...file, contentSha256 };
        // the worker, tailOf() and the digest are done with the buffer
        if (chunk.kind === "lines") buffers.give(chunk.buffer);
        await sink.commitChunk(file, firstLine, { meta, bytes: result.bytes });
        state.set(plan, file);
        if (opts.onRecords && meta.records > 0) opts.onRecords(committedLines(result), file);
        records += meta.records;
        skippedLines += meta.skipped;
        noTime += meta.records - meta.timedRecords;
        badLines += meta.bad.length + (tailBad ? 1 : 0);
        bytes += consumedBytes;
        for (const b of meta.bad) {
          if (firstBadLines.length < BAD_LINES_REPORTED) {
            firstBadLines.push({ file: plan.path, line: firstLine + b.line, reason: b.reason });
          }
        }
        if (tailBad && firstBadLines.length < BAD_LINES_REPORTED) {
          firstBadLines.push({ file: plan.path, line: tailBad.line, reason: tailBad.reason });
        }
      };

      const indexPlan = async (plan: Plan): Promise<void> => {
        const k = plan.known;
        if (plan.headBytes === 0) {
          files++; // an empty file: nothing to index, nothing to remember
          return;
        }
        if (k === undefined && opts.throughDirectory?.has(plan.path) && !plan.sniffed.hasEntry) {
          skippedFiles.push(plan.path); // found in a directory, and not an audit log
          progress(plan.stat.size);
          return;
        }
        const unchanged =
          k !== undefined &&
          k.tailBad === undefined &&
          ((!plan.gzip && k.doneBytes === plan.stat.size) ||
            (plan.gzip && k.sourceBytes === plan.stat.size && k.gzip));
        if (unchanged) {
          progress(plan.stat.size);
          if (k.path !== plan.path && !fs.existsSync(k.path)) {
            await sink.putFile({ ...k, path: plan.path }); // renamed by rotation: follow it
          }
          files++;
          return;
        }
        // A known file seen at another path: follow it when it was moved (rotation); when the
        // original is still there this is a copy, and the original stays the file's name.
        const moved = k !== undefined && k.path !== plan.path && !fs.existsSync(k.path);
        const here = k === undefined || k.path === plan.path || moved;
        const base: FileMeta = k
          ? {
              ...k,
              // An index written before origins were kept: the path it had stands in from now on.
              source: k.source ?? k.path,
              ...(here ? { path: plan.path, gzip: plan.gzip } : {}),
              tailBad: undefined,
            }
          : {
              id: sink.allocateFileId(),
              path: plan.path,
              gzip: plan.gzip,
              headHash: plan.headHash,
              headBytes: plan.headBytes,
              doneBytes: 0,
              doneLines: 0,
              endsOpen: false,
              records: 0,
              badLines: 0,
              firstTime: undefined,
              lastTime: undefined,
              tailBad: undefined,
              sourceBytes: 0,
              sourceMtimeMs: 0,
              indexedAt: "",
              source:
                (typeof opts.source === "function" ? opts.source(plan.path) : opts.source) ??
                plan.path,
              device: opts.device,
            };
        if ((await digests.resume(base, plan.path, plan.gzip)) === "changed") {
          fileErrors.push(
            `${plan.path}: the ${base.doneBytes} bytes indexed before changed since they were ` +
              "indexed (tampered with, or rewritten): not indexed further; " +
              "`breakglass verify` shows what changed",
          );
          progress(plan.stat.size);
          return;
        }
        const origin = { source: base.source ?? base.path, device: base.device };
        // A file indexed while shorter than HEAD_BYTES gets its identity widened as it grows.
        const widened =
          base.headBytes < HEAD_BYTES && plan.headBytes > base.headBytes
            ? { headHash: plan.headHash, headBytes: plan.headBytes }
            : {};
        state.set(plan, {
          ...base,
          ...widened,
          ...(here ? { sourceBytes: plan.stat.size, sourceMtimeMs: plan.stat.mtimeMs } : {}),
          indexedAt: new Date().toISOString(),
        });
        files++;
        let sawChunk = false;
        const rows = sink.rowContext?.(state.get(plan)!);
        try {
          const chunks = plan.gzip
            ? lineChunks(
                contentFrom(plan.path, true, base.doneBytes, progress),
                base.doneBytes,
                buffers,
                maxLineBytes,
                isPartial,
              )
            : plainFileLineChunks(
                plan.path,
                base.doneBytes,
                buffers,
                maxLineBytes,
                progress,
                isPartial,
              );
          for await (const chunk of chunks) {
            sawChunk = true;
            if (queue.length >= maxInFlight) await commitHead();
            const result =
              chunk.kind === "long"
                ? Promise.resolve(
                    longLineResult(chunk.lineBytes, maxLineBytes, chunk.lines, chunk.parts),
                  )
                : parsePool.parse(
                    chunk.buffer,
                    chunk.byteLength,
                    opts.prefix,
                    input,
                    plan.sniffed.framing,
                    rows,
                    origin,
                  );
            // If a commit fails (a full disk), the pool is destroyed with chunks still in flight:
            // their rejections are expected then, not unhandled.
            result.catch(() => undefined);
            queue.push({ plan, chunk, result });
            if (opts.signal?.aborted) break;
          }
        } catch (err) {
          const msg =
            (err as NodeJS.ErrnoException).code === "Z_BUF_ERROR" ||
            /unexpected end/i.test((err as Error).message)
              ? "gzip data ends early (truncated file?); indexed what could be read"
              : `cannot read: ${fsErrorReason(err)}`;
          fileErrors.push(`${plan.path}: ${msg}`);
        }
        if (!sawChunk) await sink.putFile(state.get(plan)!); // nothing new, but the widened identity and stat
      };

      for (const plan of plans) {
        if (opts.signal?.aborted) break;
        await indexPlan(plan);
      }
      while (queue.length > 0) await commitHead();
      if (deferred.length > 0 && !opts.signal?.aborted) {
        const knownNow = await sink.knownFiles();
        for (const p of deferred) {
          if (opts.signal?.aborted) break;
          try {
            await indexPlan(await planFile(p, knownNow, byPath, input));
          } catch (err) {
            fileErrors.push(`${p}: cannot read: ${fsErrorReason(err)}`);
          }
          while (queue.length > 0) await commitHead();
        }
      }
      while (queue.length > 0) await commitHead();
    }
    return {
      files,
      records,
      noTime,
      badLines,
      skippedLines,
      bytes,
      seconds: (performance.now() - started) / 1000,
      firstBadLines,
      fileErrors,
      notes: [...openGroupFiles].map(
        (f) =>
          `${f}: ends inside a Docker or CRI line split into parts (its last part is not written yet); it is read again next run`,
      ),
      detectedPrefix,
      rawTokenFiles: [...rawTokenFiles],
      skippedFiles,
      framings: [...framings],
      interrupted: opts.signal?.aborted ?? false,
    };
  }
}

export async function indexFiles(
  dbDir: string,
  args: readonly string[],
  opts: IndexOptions = {},
): Promise<IndexSummary> {
  const sources = expandSources(args, dbDir);
  const named = new Set(args.filter((a) => isFile(a)).map((a) => path.resolve(a)));
  const throughDirectory = new Set(sources.files.filter((p) => !named.has(p)));
  const indexer = await Indexer.open(dbDir, {
    workers: opts.workers,
    maxLineBytes: opts.maxLineBytes,
    wait: opts.wait,
    onWait: opts.onWait,
    signal: opts.signal,
  });
  try {
    const summary = await indexer.indexPaths(sources.files, { ...opts, throughDirectory });
    return {
      ...summary,
      fileErrors: [...sources.problems, ...summary.fileErrors],
      notes: [...sources.notes, ...summary.notes],
    };
  } finally {
    await indexer.close();
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
