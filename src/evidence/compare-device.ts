// One device's log for `compare` → its audit entries as a stream of batches, file after file in
// time order (so audit.log.2.gz, audit.log.1.gz, audit.log read as one log), each file in line
// order. The device is either files (paths, globs, directories, .gz, any framing `index` reads)
// or an index directory (its records, read through the store's reader). Chunks are parsed by the
// shared worker pool, a few ahead of the consumer; memory is those chunks in flight, and the
// chunks whose entries, read in place (compare-in-place.ts), still wait for their partner.
import fs from "node:fs";
import path from "node:path";
import type { FramingName, InputMode } from "../audit/framing/input-mode.js";
import { recordJsonText } from "../audit/framing/record-json.js";
import { sniffFraming, SNIFF_BYTES } from "../audit/framing/sniff-framing.js";
import { isPartialLine, unwrapLine } from "../audit/framing/unwrap-line.js";
import { InputError } from "../errors.js";
import { ChunkBuffers } from "../ingest/chunk-buffers.js";
import { contentFrom, hashHead, HEAD_BYTES, isGzip, readHead } from "../ingest/content-stream.js";
import { expandSources, fsErrorReason } from "../ingest/expand-sources.js";
import { lineChunks, plainFileLineChunks, type ContentPiece } from "../ingest/line-chunks.js";
import { longLineReason, MAX_LINE_BYTES } from "../ingest/long-lines.js";
import { indexExists, openIndexEnv } from "../store/index-env.js";
import { IndexReader } from "../store/index-reader.js";
import { timeMsOf } from "./compare-entry.js";
import type { ComparePool } from "./compare-pool.js";
import type { CompareChunk } from "./compare-protocol.js";

/** 4 MiB chunks: small enough that both devices keep every worker busy, few enough to be cheap. */
export const COMPARE_CHUNK_BYTES = 4 << 20;
/** Chunks parsed ahead per device: each device keeps every worker fed while the other waits. */
const IN_FLIGHT_PER_WORKER = 2;

/** What one device is: files and globs, or an index directory. */
export type DeviceInput =
  | { readonly kind: "files"; readonly paths: readonly string[] }
  | { readonly kind: "index"; readonly dir: string };

/** A chunk's entries and where they came from. */
export interface DeviceBatch {
  /** The file's path (for an index: the path it was indexed from). */
  readonly file: string;
  /** The file's number within the device (times going backwards are checked per file). */
  readonly fileNo: number;
  /** The 1-based line (files) or record number (index) of the chunk's line 0. */
  readonly firstLine: number;
  readonly chunk: CompareChunk;
  /** The chunk's bytes (shared memory), where its entries read in place are. */
  readonly bytes?: Buffer;
  /** To call once no entry read in place needs the bytes any more: the memory is reused. */
  readonly release?: () => void;
}

export interface DeviceReader {
  /** `line` for files, `record` for an index (where a finding says it is). */
  readonly unit: "line" | "record";
  /** Files that could not be read (`path: reason`) and files skipped, with why. */
  readonly problems: string[];
  readonly notes: string[];
  batches(): AsyncGenerator<DeviceBatch>;
  close(): Promise<void>;
}

/** Keeps up to `max` parses in flight and hands their results back in order. */
class InOrder<T> {
  private readonly queue: { meta: T; result: Promise<CompareChunk> }[] = [];
  constructor(private readonly max: number) {}
  get full(): boolean {
    return this.queue.length >= this.max;
  }
  get size(): number {
    return this.queue.length;
  }
  push(meta: T, result: Promise<CompareChunk>): void {
    result.catch(() => undefined); // awaited in order below; not unhandled meanwhile
    this.queue.push({ meta, result });
  }
  async shift(): Promise<{ meta: T; chunk: CompareChunk }> {
    const head = this.queue.shift()!;
    const chunk = await head.result;
    return { meta: head.meta, chunk };
  }
}

interface FilePlan {
  readonly path: string;
  readonly gzip: boolean;
  readonly framing: FramingName | undefined;
  readonly firstTimeMs: number;
}

/** The time of the first audit entry in a file's head (NaN when none is there). */
function firstTime(head: Buffer, input: InputMode, hint: FramingName | undefined): number {
  for (const raw of head.toString("utf8").split("\n")) {
    const framed = unwrapLine(raw.trimEnd(), input, hint);
    if (framed === undefined || framed.partial) continue;
    try {
      const time = (JSON.parse(framed.text) as { time?: unknown }).time;
      if (typeof time === "string") return timeMsOf(time);
    } catch {
      continue;
    }
  }
  return NaN;
}

class FileDevice implements DeviceReader {
  readonly unit = "line" as const;
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  private readonly buffers = new ChunkBuffers(COMPARE_CHUNK_BYTES);

  constructor(
    private readonly label: string,
    private readonly paths: readonly string[],
    private readonly pool: ComparePool,
    private readonly input: InputMode,
  ) {}

  /** The device's files in time order; copies of one file (same head) are read once. */
  private async plans(): Promise<FilePlan[]> {
    const sources = expandSources(this.paths);
    this.problems.push(...sources.problems);
    this.notes.push(...sources.notes);
    const underDirectory = (file: string): boolean =>
      this.paths.some((p) => {
        try {
          return fs.statSync(p).isDirectory() && file.startsWith(path.resolve(p) + path.sep);
        } catch {
          return false;
        }
      });
    const plans: FilePlan[] = [];
    const heads = new Map<string, string>();
    for (const file of sources.files) {
      try {
        const gzip = isGzip(file);
        const head = await readHead(file, gzip, SNIFF_BYTES);
        if (head.length === 0) continue;
        const sniffed = sniffFraming(head, this.input);
        if (!sniffed.hasEntry && underDirectory(file)) {
          this.notes.push(`skipped ${file}: no audit entry in its first ${SNIFF_BYTES >> 10} KiB`);
          continue;
        }
        const id = hashHead(head.subarray(0, HEAD_BYTES));
        const copyOf = heads.get(id);
        if (copyOf !== undefined) {
          this.notes.push(`skipped ${file}: a copy of ${copyOf} (same first ${HEAD_BYTES} bytes)`);
          continue;
        }
        heads.set(id, file);
        plans.push({
          path: file,
          gzip,
          framing: sniffed.framing,
          firstTimeMs: firstTime(head, this.input, sniffed.framing),
        });
      } catch (err) {
        this.problems.push(`${file}: cannot read: ${fsErrorReason(err)}`);
      }
    }
    if (plans.length === 0 && this.problems.length > 0) {
      throw new InputError(`device ${this.label}: no readable file (${this.problems[0]})`);
    }
    // Rotated files first: by the time of their first entry; files with none keep their order.
    const order = (p: FilePlan): number => (Number.isNaN(p.firstTimeMs) ? Infinity : p.firstTimeMs);
    return plans
      .map((p, i) => ({ p, i }))
      .sort((x, y) => order(x.p) - order(y.p) || x.i - y.i)
      .map((x) => x.p);
  }

  async *batches(): AsyncGenerator<DeviceBatch> {
    const plans = await this.plans();
    const inFlight = new InOrder<{
      plan: FilePlan;
      fileNo: number;
      memory?: { bytes: Buffer; release: () => void };
    }>(this.pool.workers * IN_FLIGHT_PER_WORKER);
    const lineNo = new Map<number, number>();
    const take = async (): Promise<DeviceBatch> => {
      const { meta, chunk } = await inFlight.shift();
      const firstLine = lineNo.get(meta.fileNo) ?? 1;
      lineNo.set(meta.fileNo, firstLine + chunk.lines);
      return { file: meta.plan.path, fileNo: meta.fileNo, firstLine, chunk, ...meta.memory };
    };
    const isPartial = (line: string): boolean => isPartialLine(line, this.input);
    for (const [fileNo, plan] of plans.entries()) {
      let pieces: AsyncGenerator<ContentPiece>;
      try {
        pieces = plan.gzip
          ? lineChunks(contentFrom(plan.path, true, 0), 0, this.buffers, MAX_LINE_BYTES, isPartial)
          : plainFileLineChunks(plan.path, 0, this.buffers, MAX_LINE_BYTES, undefined, isPartial);
        for await (const piece of pieces) {
          if (inFlight.full) yield await take();
          if (piece.kind === "long") {
            inFlight.push(
              { plan, fileNo },
              Promise.resolve(longLineChunk(longLineReason(piece.lineBytes, MAX_LINE_BYTES))),
            );
            continue;
          }
          const buffer = piece.buffer;
          const memory = {
            bytes: Buffer.from(buffer, 0, piece.byteLength),
            release: () => this.buffers.give(buffer),
          };
          inFlight.push(
            { plan, fileNo, memory },
            this.pool.run(buffer, piece.byteLength, this.input, plan.framing),
          );
        }
      } catch (err) {
        const msg =
          (err as NodeJS.ErrnoException).code === "Z_BUF_ERROR" ||
          /unexpected end/i.test((err as Error).message)
            ? "gzip data ends early (truncated file?); compared what could be read"
            : `cannot read: ${fsErrorReason(err)}`;
        this.problems.push(`${plan.path}: ${msg}`);
      }
    }
    while (inFlight.size > 0) yield await take();
  }

  async close(): Promise<void> {}
}

function longLineChunk(reason: string): CompareChunk {
  return {
    lines: 1,
    lineOf: [],
    keys: [],
    times: [],
    timeMs: [],
    paths: [],
    plains: [],
    hmacs: [],
    bad: [{ line: 0, reason }],
  };
}

/** An index's records, file by file in time order, re-joined into chunks of lines for the pool. */
class IndexDevice implements DeviceReader {
  readonly unit = "record" as const;
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  private readonly env;
  private readonly reader: IndexReader;

  constructor(
    dir: string,
    private readonly pool: ComparePool,
  ) {
    if (!indexExists(dir)) throw new InputError(`no index in ${dir}`, "index the logs first");
    this.env = openIndexEnv(dir, { create: false, readOnly: true });
    try {
      this.reader = new IndexReader(this.env);
    } catch (err) {
      void this.env.close();
      throw err;
    }
  }

  async *batches(): AsyncGenerator<DeviceBatch> {
    const reader = this.reader;
    const files = reader
      .files()
      .sort(
        (x, y) => (x.firstTime ?? "\uffff").localeCompare(y.firstTime ?? "\uffff") || x.id - y.id,
      );
    const inFlight = new InOrder<{
      file: string;
      fileNo: number;
      firstLine: number;
      bytes: Buffer;
    }>(this.pool.workers * IN_FLIGHT_PER_WORKER);
    const take = async (): Promise<DeviceBatch> => {
      const { meta, chunk } = await inFlight.shift();
      return { ...meta, chunk };
    };
    for (const [fileNo, file] of files.entries()) {
      let parts: string[] = [];
      let partChars = 0;
      let record = 1;
      let firstLine = 1;
      const flush = async function* (pool: ComparePool): AsyncGenerator<DeviceBatch> {
        if (parts.length === 0) return;
        if (inFlight.full) yield await take();
        // Shared memory, so the records' entries can be read in place (compare-in-place.ts).
        const text = parts.join("\n");
        const bytes = Buffer.from(new SharedArrayBuffer(Buffer.byteLength(text, "utf8")));
        bytes.write(text, "utf8");
        inFlight.push(
          { file: file.path, fileNo, firstLine, bytes },
          pool.run(bytes.buffer, bytes.byteLength, "json", undefined),
        );
        firstLine = record;
        parts = [];
        partChars = 0;
      };
      for (const segment of reader.segments) {
        if (segment.file !== file.id) continue;
        for (let local = 0; local < segment.records; local++) {
          const text = recordJsonText(reader.lineInSegment(segment, local));
          parts.push(text);
          partChars += text.length + 1;
          record++;
          if (partChars >= COMPARE_CHUNK_BYTES) yield* flush(this.pool);
        }
      }
      yield* flush(this.pool);
    }
    while (inFlight.size > 0) yield await take();
  }

  async close(): Promise<void> {
    await this.env.close();
  }
}

/** The reader of one device (`label`: "a" or "b", for messages). */
export function openDevice(
  label: string,
  input: DeviceInput,
  pool: ComparePool,
  mode: InputMode,
): DeviceReader {
  return input.kind === "files"
    ? new FileDevice(label, input.paths, pool, mode)
    : new IndexDevice(input.dir, pool);
}
