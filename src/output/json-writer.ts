// json: one array of the items (records embedded as their original bytes), streamed element by
// element, so a large result never has to fit in memory. An empty result is `[]`.
import type { StageOutput } from "../query/stage-output.js";
import { itemJson } from "./item-json.js";
import type { OutputSink } from "./output-sink.js";

export async function writeJson(
  items: AsyncIterable<StageOutput>,
  sink: OutputSink,
): Promise<void> {
  let first = true;
  for await (const item of items) {
    await sink.write(first ? "[\n" : ",\n");
    first = false;
    await sink.write(itemJson(item));
  }
  await sink.write(first ? "[]\n" : "\n]\n");
}
