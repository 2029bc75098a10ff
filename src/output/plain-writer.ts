// plain: what a shell pipeline wants (README.md): leases and distinct values one a line, `count` one
// integer, `count by`/`top` `value<TAB>count`, projection rows tab-separated, records and pairs
// as JSON lines, a timeline as a histogram `widthChars` wide. Streams, except the histogram,
// which is scaled to its largest bucket and so waits for all of them.
import type { StageOutput } from "../query/stage-output.js";
import { valueText } from "../query/field-values.js";
import { cellText } from "./item-cells.js";
import { itemJson } from "./item-json.js";
import type { OutputSink } from "./output-sink.js";
import { histogramLines } from "./timeline-histogram.js";

type Bucket = Extract<StageOutput, { kind: "bucket" }>;

/** A cell of a plain line: tabs and newlines inside a value would break the line's shape. */
function flat(text: string): string {
  return /[\t\r\n]/.test(text) ? text.replace(/[\t\r\n]/g, " ") : text;
}

export async function writePlain(
  items: AsyncIterable<StageOutput>,
  sink: OutputSink,
  widthChars: number,
): Promise<void> {
  const buckets: Bucket[] = [];
  for await (const item of items) {
    switch (item.kind) {
      case "record":
      case "pair":
        await sink.write(itemJson(item));
        await sink.write("\n");
        break;
      case "lease":
        await sink.write(item.lease + "\n");
        break;
      case "value":
        await sink.write(flat(valueText(item.value)) + "\n");
        break;
      case "row":
        await sink.write(item.values.map((v) => flat(cellText(v))).join("\t") + "\n");
        break;
      case "group":
        await sink.write(`${flat(valueText(item.value))}\t${item.count}\n`);
        break;
      case "count":
        await sink.write(`${item.count}\n`);
        break;
      case "bucket":
        buckets.push(item);
        break;
    }
  }
  for (const line of histogramLines(buckets, widthChars)) await sink.write(line + "\n");
}
