// A file's head → the framing its audit entries come in, and whether it holds any. The one place
// that picks a file's framing (lines that differ fall back to per-line detection in the
// workers). Pure; reads only the bytes given (the first SNIFF_BYTES of the file's content).
import { notAnAuditEntry } from "../audit-entry.js";
import type { FramingName, InputMode } from "./input-mode.js";
import { unwrapLine } from "./unwrap-line.js";

/** Bytes of a file's content sniffed: a file reached through a directory with no entry in them is skipped. */
export const SNIFF_BYTES = 64 << 10;

export interface Sniffed {
  /** The framing most of the head's entries came in (undefined: none found). */
  readonly framing: FramingName | undefined;
  /** True when the head holds at least one audit entry. */
  readonly hasEntry: boolean;
}

export function sniffFraming(head: Buffer, input: InputMode): Sniffed {
  const counts = new Map<FramingName, number>();
  const lines = head.toString("utf8").split("\n");
  if (head.length >= SNIFF_BYTES) lines.pop(); // cut off mid-line
  let partial = "";
  for (const raw of lines) {
    const framed = unwrapLine(raw.endsWith("\r") ? raw.slice(0, -1) : raw, input);
    if (framed === undefined) continue;
    if (framed.partial) {
      partial += framed.text;
      continue;
    }
    const text = partial + framed.text;
    partial = "";
    try {
      if (notAnAuditEntry(JSON.parse(text)) !== undefined) continue;
    } catch {
      continue;
    }
    counts.set(framed.framing, (counts.get(framed.framing) ?? 0) + 1);
  }
  let framing: FramingName | undefined;
  for (const [name, n] of counts)
    if (framing === undefined || n > counts.get(framing)!) framing = name;
  return { framing, hasEntry: counts.size > 0 };
}
