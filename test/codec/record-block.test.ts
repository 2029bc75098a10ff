// Record blocks give back each line byte for byte, whatever lies between the lines in the source
// (newlines, CRs, device prefixes).
import { expect, test } from "vitest";
import { encodeRecordBlock, RecordBlock } from "../../src/codec/record-block.js";

test("every line of a block comes back byte for byte", () => {
  const lines = [
    '{"type":"request"}',
    'prefix:{"type":"response","x":"é"}',
    '{"type":"a","b":[1,2]}',
  ];
  const source = Buffer.from(lines.join("\r\n") + "\n", "utf8");
  const starts: number[] = [];
  const ends: number[] = [];
  let at = 0;
  for (const l of lines) {
    const len = Buffer.byteLength(l);
    const skip = l.startsWith("prefix:") ? 7 : 0; // stored without the prefix
    starts.push(at + skip);
    ends.push(at + len);
    at += len + 2;
  }
  const block = new RecordBlock(encodeRecordBlock(source, starts, ends));
  expect(block.count).toBe(3);
  expect(block.line(0).toString()).toBe(lines[0]);
  expect(block.line(1).toString()).toBe('{"type":"response","x":"é"}');
  expect(block.line(2).toString()).toBe(lines[2]);
});
