// A scan worker: tests a predicate with no index on every (candidate) record of one segment,
// in parallel with the other segments' scans. Never imports store/ or lmdb: the executor reads
// the blocks and hands them over. A block that fails its checksum is returned as data
// (ScanDamage), for the executor to report as a damaged index.
import { recordJson } from "../audit/framing/record-json.js";
import { Piscina } from "piscina";
import type { AuditEntry } from "../audit/audit-entry.js";
import { withOrigin } from "../audit/record-origin.js";
import { ChecksumError } from "../codec/checksum.js";
import { RecordBlock, SegmentDictionary } from "../codec/record-block.js";
import { exprTest } from "./expr-test.js";
import type { ScanDamage, ScanTask } from "./scan-protocol.js";

export default function scanSegment(task: ScanTask): unknown {
  const result = matches(task);
  return result instanceof Uint32Array ? Piscina.move(result.buffer) : result;
}

function matches(task: ScanTask): Uint32Array<ArrayBuffer> | ScanDamage {
  const test = exprTest(task.expr, task.query);
  const out = new Uint32Array(Math.ceil(task.records / 32) || 1);
  const candidates = task.candidates ? new Uint32Array(task.candidates) : undefined;
  const needle = task.needle === undefined ? undefined : Buffer.from(task.needle, "utf8");
  const all = new Uint8Array(task.blocks);
  // The bytes before the first block: the segment's dictionary, when its blocks are line blocks.
  let dictionary: SegmentDictionary | undefined;
  for (let b = 0; b < task.blockStarts.length; b++) {
    const first = task.blockStarts[b]!;
    try {
      if (dictionary === undefined && task.offsets[0]! > 0) {
        dictionary = new SegmentDictionary(all.subarray(0, task.offsets[0]!));
      }
      const block = new RecordBlock(
        all.subarray(task.offsets[b]!, task.offsets[b + 1]!),
        dictionary,
      );
      for (let i = 0; i < block.count; i++) {
        const local = first + i;
        if (candidates && !(candidates[local >>> 5]! & (1 << (local & 31)))) continue;
        const line = recordJson(block.line(i));
        if (needle && line.indexOf(needle) < 0) continue;
        if (test(withOrigin(JSON.parse(line.toString("utf8")) as AuditEntry, task.origin)))
          out[local >>> 5]! |= 1 << (local & 31);
      }
    } catch (err) {
      if (err instanceof ChecksumError) return { damagedBlock: b, reason: err.message };
      throw err;
    }
  }
  return out;
}
