// The pool of parse workers (piscina), one per core by default. The worker is always the compiled
// dist/ file: vitest cannot load .ts workers (piscina's docs), so from sources we point at dist/.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { unpackResult, type ParseResult, type ParseTask } from "./worker-protocol.js";

function workerFile(): string {
  // The compiled worker sits at dist/src/ingest/ of the package, whether this code runs from
  // there, from the bundle (dist/bundle/) or from src/ under vitest: find the package root.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("cannot find the breakglass package root");
    dir = up;
  }
  const built = path.join(dir, "dist", "src", "ingest", "parse-worker.js");
  if (!fs.existsSync(built))
    throw new Error(`parse worker not built: ${built} (run npm run build)`);
  return built;
}

/** Old-generation cap of a parse worker: a 16 MiB chunk needs well under 100 MB of live data. */
const WORKER_OLD_SPACE_MB = 256;

export function defaultWorkers(): number {
  return Math.max(1, os.availableParallelism());
}

export class ParsePool {
  private readonly pool: Piscina<ParseTask, ArrayBuffer>;

  constructor(workers: number) {
    this.pool = new Piscina({
      filename: workerFile(),
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: 60_000,
      // A worker's garbage is a chunk's worth of parsed entries; without a cap V8 lets the old
      // generation grow to hundreds of MB before collecting, and peak RSS passed 800 MB on 1 GiB.
      resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB },
    });
  }

  async parse(
    buffer: ArrayBuffer,
    byteLength: number,
    prefix: string | undefined,
  ): Promise<ParseResult> {
    const task: ParseTask = { buffer, byteLength, prefix };
    const out = await this.pool.run(task, { transferList: [buffer] });
    return unpackResult(out);
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
