// `limit N`: the first N items. Closes upstream the moment the Nth item arrives, before handing
// it on, so the executor stops reading the index even while the output is still being written.
// `limit 0` never pulls at all. Memory O(1).
import type { StageOutput } from "../stage-output.js";

export async function* limitStage(
  input: AsyncIterable<StageOutput>,
  n: number,
): AsyncIterable<StageOutput> {
  if (n <= 0) return;
  const upstream = input[Symbol.asyncIterator]();
  let taken = 0;
  try {
    while (true) {
      const next = await upstream.next();
      if (next.done) return;
      if (++taken >= n) {
        await upstream.return?.();
        yield next.value;
        return;
      }
      yield next.value;
    }
  } finally {
    if (taken < n) await upstream.return?.();
  }
}
