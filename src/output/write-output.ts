// Prints a pipeline's items (query/run-stages.ts) in one of the output formats to a Writable,
// with backpressure (output-sink.ts). Searcher and printer apart: nothing here knows the index.
// Returns how many results were printed, for `-e/--exit-status`: each item counts one, except a
// `count` item, which counts its value (so `… | count` printing 0 is "no match").
import type { StageOutput } from "../query/stage-output.js";
import { writeCsv } from "./csv-writer.js";
import { writeJson } from "./json-writer.js";
import { writeNdjson } from "./ndjson-writer.js";
import type { OutputFormat } from "./output-format.js";
import { OutputSink } from "./output-sink.js";
import { writePlain } from "./plain-writer.js";
import { writeTable } from "./table-writer.js";

export interface OutputOptions {
  /** Terminal width in characters: histograms scale to it, tables shrink to it. */
  readonly width?: number;
}

/** Histograms are this wide when no width is given (not a TTY). */
export const DEFAULT_WIDTH_CHARS = 80;

async function* counted(
  items: AsyncIterable<StageOutput>,
  tally: { emitted: number },
): AsyncIterable<StageOutput> {
  for await (const item of items) {
    tally.emitted += item.kind === "count" ? item.count : 1;
    yield item;
  }
}

export async function writeOutput(
  items: AsyncIterable<StageOutput>,
  format: OutputFormat,
  out: NodeJS.WritableStream,
  opts: OutputOptions = {},
): Promise<{ emitted: number }> {
  const sink = new OutputSink(out);
  const tally = { emitted: 0 };
  const source = counted(items, tally);
  try {
    await writeFormat(source, format, sink, opts);
    await sink.flush();
  } finally {
    sink.close();
  }
  return { emitted: tally.emitted };
}

async function writeFormat(
  source: AsyncIterable<StageOutput>,
  format: OutputFormat,
  sink: OutputSink,
  opts: OutputOptions,
): Promise<void> {
  switch (format) {
    case "ndjson":
      await writeNdjson(source, sink);
      break;
    case "json":
      await writeJson(source, sink);
      break;
    case "table":
      await writeTable(source, sink, opts.width);
      break;
    case "csv":
      await writeCsv(source, sink);
      break;
    case "plain":
      await writePlain(source, sink, opts.width ?? DEFAULT_WIDTH_CHARS);
      break;
  }
}
