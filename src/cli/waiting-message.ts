// What a writer prints while it waits for the index's writer lock (store/writer-lock.ts).
import { describeHolder, type WriterLockHolder } from "../store/writer-lock.js";

export function waitingMessage(dbDir: string, holder: WriterLockHolder | undefined): string {
  return (
    `waiting for ${describeHolder(holder)}, which is writing to the index at ${dbDir} ` +
    "(--no-wait: exit instead)"
  );
}
