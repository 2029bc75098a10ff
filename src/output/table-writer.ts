// table: aligned columns for a human at a terminal. Column widths come from the header and the
// first TABLE_SAMPLE_ROWS rows (later rows are padded to them, and may overflow); with a width,
// the widest columns are shrunk until a line fits and long cells end in "…". Numbers are right-
// aligned. A timeline prints as a histogram instead. Streams after the sample.
import type { StageOutput } from "../query/stage-output.js";
import { itemCells, itemColumns, numericColumns } from "./item-cells.js";
import type { OutputSink } from "./output-sink.js";
import { histogramLines } from "./timeline-histogram.js";

/** Rows measured before the first line is printed: enough for a screenful and more. */
export const TABLE_SAMPLE_ROWS = 1000;
/** A column is never shrunk below this many characters. */
const MIN_COLUMN_CHARS = 8;
const GAP = "  ";

type Bucket = Extract<StageOutput, { kind: "bucket" }>;

function fitWidths(widths: number[], widthChars: number | undefined): number[] {
  if (widthChars === undefined) return widths;
  const total = (): number => widths.reduce((a, b) => a + b, 0) + GAP.length * (widths.length - 1);
  while (total() > widthChars) {
    let widest = 0;
    for (let i = 1; i < widths.length; i++) if (widths[i]! > widths[widest]!) widest = i;
    if (widths[widest]! <= MIN_COLUMN_CHARS) break;
    widths[widest]!--;
  }
  return widths;
}

function clip(text: string, width: number): string {
  const oneLine = /[\t\r\n]/.test(text) ? text.replace(/[\t\r\n]/g, " ") : text;
  return oneLine.length > width ? oneLine.slice(0, Math.max(0, width - 1)) + "…" : oneLine;
}

function line(
  cells: readonly string[],
  widths: readonly number[],
  right: ReadonlySet<number>,
): string {
  const out = cells.map((c, i) => {
    const w = widths[i] ?? c.length;
    const text = clip(c, w);
    return right.has(i) ? text.padStart(w) : text.padEnd(w);
  });
  return out.join(GAP).trimEnd() + "\n";
}

export async function writeTable(
  items: AsyncIterable<StageOutput>,
  sink: OutputSink,
  widthChars: number | undefined,
): Promise<void> {
  const sample: StageOutput[] = [];
  const buckets: Bucket[] = [];
  const iterator = items[Symbol.asyncIterator]();
  let next = await iterator.next();
  while (!next.done && sample.length < TABLE_SAMPLE_ROWS) {
    if (next.value.kind === "bucket") buckets.push(next.value);
    else sample.push(next.value);
    next = await iterator.next();
  }
  const head = sample[0];
  let widths: number[] = [];
  let right: ReadonlySet<number> = new Set();
  if (head) {
    const columns = itemColumns(head);
    right = numericColumns(head);
    widths = columns.map((c) => c.length);
    for (const item of sample) {
      itemCells(item).forEach((cell, i) => {
        widths[i] = Math.max(widths[i] ?? 0, cell.length);
      });
    }
    widths = fitWidths(widths, widthChars);
    await sink.write(line(columns, widths, right));
    for (const item of sample) await sink.write(line(itemCells(item), widths, right));
  }
  while (!next.done) {
    const item = next.value;
    if (item.kind === "bucket") buckets.push(item);
    else await sink.write(line(itemCells(item), widths, right));
    next = await iterator.next();
  }
  for (const l of histogramLines(buckets, widthChars ?? 80)) await sink.write(l + "\n");
}
