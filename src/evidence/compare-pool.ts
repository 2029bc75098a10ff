// The pool of `compare` workers (piscina), one per core by default, shared by both devices' readers
// so the two logs are parsed side by side on every core.
import { Piscina } from "piscina";
import { builtWorker } from "../built-worker.js";
import type { FramingName, InputMode } from "../audit/framing/input-mode.js";
import type { CompareChunk, CompareTask } from "./compare-protocol.js";

/** Old-generation cap of a worker: a chunk's parsed entries and summaries fit well inside. */
const WORKER_OLD_SPACE_MB = 256;

export class ComparePool {
  private readonly pool: Piscina<CompareTask, CompareChunk>;

  constructor(readonly workers: number) {
    this.pool = new Piscina({
      filename: builtWorker("evidence/compare-worker.js"),
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: 60_000,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB },
      atomics: "disabled",
    });
  }

  run(
    buffer: ArrayBufferLike,
    byteLength: number,
    input: InputMode,
    hint: FramingName | undefined,
  ): Promise<CompareChunk> {
    // Shared memory stays readable here, so its entries can be read in place; a moved buffer not.
    const shared = buffer instanceof SharedArrayBuffer;
    const transferList = buffer instanceof ArrayBuffer ? [buffer] : [];
    return this.pool.run({ buffer, byteLength, input, hint, inPlace: shared }, { transferList });
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
