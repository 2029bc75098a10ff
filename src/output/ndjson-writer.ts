// ndjson: one JSON value a line. Records are their original line bytes plus "\n", byte for byte
// (never re-serialised); every other item is its item-json.ts object. Streams.
import type { StageOutput } from "../query/stage-output.js";
import { itemJson } from "./item-json.js";
import type { OutputSink } from "./output-sink.js";

const NEWLINE = Buffer.from("\n");

export async function writeNdjson(
  items: AsyncIterable<StageOutput>,
  sink: OutputSink,
): Promise<void> {
  for await (const item of items) {
    const json = itemJson(item);
    if (typeof json === "string") await sink.write(json + "\n");
    else {
      await sink.write(json);
      await sink.write(NEWLINE);
    }
  }
}
