// The records of a parse result (ingest/worker-protocol.ts), decoded back from its record blocks
// with their dictionary: for what needs the lines themselves after a parse (alerts on records
// just indexed, a ClickHouse load's rows). Pure; safe in workers.
import { RecordBlock, SegmentDictionary } from "../codec/record-block.js";
import type { ParseResult } from "./worker-protocol.js";

/** Visit each record's line in order; a line is a buffer of its own or a view kept by its block. */
export function forEachResultRecord(result: ParseResult, visit: (line: Buffer) => void): void {
  const { meta, bytes } = result;
  const span = (s: readonly [number, number]): Uint8Array => bytes.subarray(s[0], s[0] + s[1]);
  const dictionary = meta.dictionary && new SegmentDictionary(span(meta.dictionary));
  for (const s of meta.blocks) {
    const block = new RecordBlock(span(s), dictionary);
    for (let i = 0; i < block.count; i++) visit(block.line(i));
  }
}
