// A stored record → the audit entry's JSON text. The index stores lines as written (framing
// and all; a record reassembled from Docker or CRI parts is its lines joined with newlines; a
// JSONx record is its XML); readers (queries, output, alerts) take the entry from here. Pure;
// safe in workers. Cost: plain JSON records (the usual case) pass through untouched after a few
// byte compares; a JSONx record is converted each time it is read (one SAX pass).
import { isJsonxLine } from "./jsonx-framing.js";
import { jsonx, unwrapLine } from "./unwrap-line.js";

const OPEN_BRACE = 123;
const ENVELOPE_HEADS = ['{"log":', '{"__CURSOR":'].map((h) => Buffer.from(h));

function startsWith(line: Buffer, head: Buffer): boolean {
  return line.length >= head.length && line.compare(head, 0, head.length, 0, head.length) === 0;
}

/** True when the stored record is the entry's JSON itself (no framing around it). */
export function isPlainRecord(line: Buffer): boolean {
  return line[0] === OPEN_BRACE && !ENVELOPE_HEADS.some((h) => startsWith(line, h));
}

/** The entry's JSON text of a stored record. */
export function recordJsonText(line: Buffer): string {
  const text = line.toString("utf8");
  if (isPlainRecord(line)) return text;
  let json = "";
  for (const physical of text.split("\n")) {
    const l = physical.endsWith("\r") ? physical.slice(0, -1) : physical;
    json += unwrapLine(l, "auto")?.text ?? l;
  }
  // JSONx inside another framing (a container's log of a device with format=jsonx).
  return isJsonxLine(json) ? jsonx(json).text : json;
}

/** The entry's JSON bytes of a stored record (the record itself when it is plain JSON). */
export function recordJson(line: Buffer): Buffer {
  return isPlainRecord(line) ? line : Buffer.from(recordJsonText(line), "utf8");
}

/** The parsed entry of a stored record. */
export function recordEntry<T>(line: Buffer): T {
  return JSON.parse(recordJsonText(line)) as T;
}
