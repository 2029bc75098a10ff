// The piscina worker of `compare`: runs compareLines on a task. Loaded from dist/ (vitest cannot
// load .ts workers). Never imports store/ or lmdb.
import { compareLines } from "./compare-lines.js";
import type { CompareChunk, CompareTask } from "./compare-protocol.js";

export default function compareTask(task: CompareTask): CompareChunk {
  return compareLines(
    new Uint8Array(task.buffer, 0, task.byteLength),
    task.input,
    task.hint,
    task.inPlace,
  );
}
