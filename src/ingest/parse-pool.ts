// The pool of parse workers (piscina), one per core by default (the compiled worker, built-worker.ts).
import os from "node:os";
import { Piscina } from "piscina";
import { builtWorker } from "../built-worker.js";
import type { FramingName, InputMode } from "../audit/framing/input-mode.js";
import type { RecordOrigin } from "../audit/record-origin.js";
import {
  unpackResult,
  type ParseResult,
  type ParseTask,
  type RowContext,
} from "./worker-protocol.js";

/** The worker that parses for the local index. */
export const PARSE_WORKER = "ingest/parse-worker.js";

/**
 * Old-generation cap of a parse worker: a 16 MiB chunk needs well under 100 MB of live data, and
 * a 60 MB entry (one big value) parses in it too.
 */
const WORKER_OLD_SPACE_MB = 256;
/**
 * Heap per byte of the longest line allowed (the line as a string, its parsed value, garbage):
 * a limit set above the default 64 MiB raises the cap, the default leaves it as it was.
 */
const HEAP_PER_LINE_BYTE = 4;

export function defaultWorkers(): number {
  return Math.max(1, os.availableParallelism());
}

export class ParsePool {
  private readonly pool: Piscina<ParseTask, ArrayBuffer>;

  constructor(
    workers: number,
    private readonly maxLineBytes: number,
    /** The compiled worker (dist/src/…): PARSE_WORKER, or one that also builds rows. */
    workerFile: string = PARSE_WORKER,
  ) {
    this.pool = new Piscina({
      filename: builtWorker(workerFile),
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: 60_000,
      // A worker's garbage is a chunk's worth of parsed entries; without a cap V8 lets the old
      // generation grow to hundreds of MB before collecting, and peak RSS passed 800 MB on 1 GiB.
      resourceLimits: {
        maxOldGenerationSizeMb: Math.max(
          WORKER_OLD_SPACE_MB,
          Math.ceil((HEAP_PER_LINE_BYTE * maxLineBytes) / 2 ** 20),
        ),
      },
      // Not piscina's default "sync" atomics, which park an idle worker in Atomics.wait and so
      // never turn its event loop: the native memory behind lz4-napi's result buffers is freed
      // by finalizers that run on that loop, and piled up instead (~0.5 KB per record for good:
      // `listen` grew by 142 MB over 350k generated entries, flat with this).
      atomics: "disabled",
    });
  }

  async parse(
    buffer: ArrayBufferLike,
    byteLength: number,
    prefix: string | undefined,
    input: InputMode = "auto",
    hint?: FramingName,
    rows?: RowContext,
    origin?: RecordOrigin,
  ): Promise<ParseResult> {
    const task: ParseTask = {
      buffer,
      byteLength,
      prefix,
      maxLineBytes: this.maxLineBytes,
      input,
      hint,
      ...(rows ? { rows } : {}),
      origin,
    };
    const transferList = buffer instanceof ArrayBuffer ? [buffer] : [];
    const out = await this.pool.run(task, { transferList });
    return unpackResult(out);
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
