// csv (RFC 4180): a header row of column names, then one row per item; a field containing a
// comma, a double quote, CR or LF is quoted with inner quotes doubled; lines end in CRLF.
// Records show the summary columns of item-cells.ts. Streams.
import type { StageOutput } from "../query/stage-output.js";
import { itemCells, itemColumns } from "./item-cells.js";
import type { OutputSink } from "./output-sink.js";

export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: readonly string[]): string {
  return cells.map(csvField).join(",") + "\r\n";
}

export async function writeCsv(items: AsyncIterable<StageOutput>, sink: OutputSink): Promise<void> {
  let header = false;
  for await (const item of items) {
    if (!header) {
      await sink.write(csvLine(itemColumns(item)));
      header = true;
    }
    await sink.write(csvLine(itemCells(item)));
  }
}
