// The piscina worker of a ClickHouse load: the local index's parse (ingest/parse-lines.ts: the
// same framings, bad lines and records) and then each record as a RowBinary row (entry-rows.ts).
// The result carries the rows instead of record blocks and term pages, which a load does not
// store. Cost: each record is JSON-parsed twice (once by parseLines, once for its row) and its
// block compressed and read back; the price of one parser for both stores. Loaded from dist/.
import { Piscina } from "piscina";
import { parseLines } from "../../ingest/parse-lines.js";
import { forEachResultRecord } from "../../ingest/result-records.js";
import { packResult, unpackResult, type ParseTask } from "../../ingest/worker-protocol.js";
import { EntryRowEncoder } from "./entry-rows.js";

export default function rowTask(task: ParseTask): unknown {
  const packed = parseLines(
    new Uint8Array(task.buffer, 0, task.byteLength),
    task.prefix,
    task.maxLineBytes,
    task.input,
    task.hint,
  );
  const result = unpackResult(packed);
  const { meta } = result;
  const encoder = new EntryRowEncoder();
  const rows = task.rows;
  if (rows !== undefined) forEachResultRecord(result, (line) => encoder.add(line, rows));
  const data = encoder.out.view();
  const starts = Buffer.from(Uint32Array.from(encoder.rowStarts).buffer);
  const payload = Buffer.concat([data, starts]);
  const out = packResult(payload, {
    ...meta,
    blocks: [],
    blockStarts: [],
    dictionary: undefined,
    fields: [],
    rows: { data: [0, data.length], starts: [data.length, starts.length] },
  });
  return Piscina.move(out);
}
