// The piscina worker of a ClickHouse load: the local index's parse (ingest/parse-lines.ts: the
// same framings, bad lines and records) and then each record as a RowBinary row (entry-rows.ts).
// The result carries the rows instead of record blocks and term pages, which a load does not
// store. Cost: each record is JSON-parsed twice (once by parseLines, once for its row) and its
// block compressed and read back; the price of one parser for both stores. Loaded from dist/.
import { Piscina } from "piscina";
import { RecordBlock } from "../../codec/record-block.js";
import { parseLines } from "../../ingest/parse-lines.js";
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
  const { meta, bytes } = unpackResult(packed);
  const encoder = new EntryRowEncoder();
  if (task.rows !== undefined) {
    for (const [offset, length] of meta.blocks) {
      const block = new RecordBlock(bytes.subarray(offset, offset + length));
      for (let i = 0; i < block.count; i++) encoder.add(block.line(i), task.rows);
    }
  }
  const data = encoder.out.view();
  const starts = Buffer.from(Uint32Array.from(encoder.rowStarts).buffer);
  const payload = Buffer.concat([data, starts]);
  const out = packResult(payload, {
    ...meta,
    blocks: [],
    blockStarts: [],
    fields: [],
    rows: { data: [0, data.length], starts: [data.length, starts.length] },
  });
  return Piscina.move(out);
}
