// The piscina worker: runs parseLines on a task and moves the packed result back to the main
// thread. Loaded from dist/ (vitest cannot load .ts workers). Never imports store/ or lmdb.
import { Piscina } from "piscina";
import { parseLines } from "./parse-lines.js";
import type { ParseTask } from "./worker-protocol.js";

export default function parseTask(task: ParseTask): unknown {
  const result = parseLines(
    new Uint8Array(task.buffer, 0, task.byteLength),
    task.prefix,
    task.maxLineBytes,
    task.input,
    task.hint,
    task.origin,
  );
  return Piscina.move(result);
}
