// Bytes of whole lines → the summaries of their audit entries and their bad lines: the work of
// one `compare` task. Pure and synchronous, so it runs the same in a worker and in tests.
// Framings are unwrapped as `index` unwraps them (audit/framing/): Docker and CRI parts are
// joined, a server's own log lines in a mixed stream are skipped, anything else that is not an
// audit entry is a bad line with a reason. Cost: about one JSON.parse and one walk per entry.
// With `inPlace` (the caller keeps the bytes: shared memory), a plain or prefixed ASCII line's
// entry is read in place (compare-in-place.ts) instead of flattened; others are flattened.
import { notAnAuditEntry } from "../audit/audit-entry.js";
import type { FramingName, InputMode } from "../audit/framing/input-mode.js";
import { unwrapLine } from "../audit/framing/unwrap-line.js";
import { isServerLogObject, isServerLogText } from "../ingest/server-log-lines.js";
import { identifyEntry, summarizeEntry } from "./compare-entry.js";
import { InPlaceBuilder } from "./compare-in-place.js";
import type { CompareChunk } from "./compare-protocol.js";

const NEWLINE = 10;
const CR = 13;
const OPEN_BRACE = 123;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Why a line's JSON text does not parse, as a responder says it. */
function jsonReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/end of (JSON )?input|Unterminated string/i.test(msg)) return "truncated JSON entry";
  return "not JSON";
}

export function compareLines(
  bytes: Uint8Array,
  input: InputMode = "auto",
  hint?: FramingName,
  inPlace = false,
): CompareChunk {
  const columns = inPlace ? new InPlaceBuilder() : undefined;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = {
    lines: 0,
    lineOf: [] as number[],
    keys: [] as string[],
    times: [] as string[],
    timeMs: [] as number[],
    paths: [] as string[],
    plains: [] as string[],
    hmacs: [] as string[],
    bad: [] as { line: number; reason: string }[],
  };
  // A Docker or CRI record split into parts: its first line, its framing, the text so far.
  let group: { line: number; framing: FramingName; text: string } | undefined;
  const dropGroup = (): void => {
    if (group !== undefined) {
      out.bad.push({ line: group.line, reason: "a partial line whose final part never came" });
    }
    group = undefined;
  };

  let line = 0;
  for (let pos = 0; pos < bytes.length; line++) {
    let nl = buf.indexOf(NEWLINE, pos);
    if (nl < 0) nl = bytes.length;
    const end = nl > pos && bytes[nl - 1] === CR ? nl - 1 : nl;
    let text = buf.toString("utf8", pos, end);
    const start = pos;
    // Valid UTF-8 (checked below) with one character a byte is ASCII: text offsets are byte offsets.
    const ascii = text.length === end - start;
    pos = nl + 1;
    if (text.includes("\uFFFD")) {
      try {
        text = strictUtf8.decode(bytes.subarray(start, end));
      } catch {
        dropGroup();
        out.bad.push({ line, reason: "invalid UTF-8" });
        continue;
      }
    }
    text = text.trimEnd();
    if (text.trim() === "") continue;
    const lineText = text;
    let joined = false;

    let entryLine = line;
    const framed = unwrapLine(text, input, hint);
    if (framed === undefined || (group !== undefined && group.framing !== framed.framing)) {
      dropGroup();
    }
    if (framed?.partial === true) {
      if (group === undefined) group = { line, framing: framed.framing, text: framed.text };
      else group.text += framed.text;
      continue;
    }
    if (framed !== undefined) text = framed.text;
    if (group !== undefined) {
      text = group.text + text;
      joined = true;
      entryLine = group.line;
      group = undefined;
    }
    const wrapped =
      framed !== undefined && framed.framing !== "json" && framed.framing !== "prefix";
    if (wrapped && text.trimStart().charCodeAt(0) !== OPEN_BRACE) continue; // a server's log
    let entry: unknown;
    try {
      entry = JSON.parse(text);
    } catch (err) {
      if (wrapped || !isServerLogText(text))
        out.bad.push({ line: entryLine, reason: jsonReason(err) });
      continue;
    }
    const problem = notAnAuditEntry(entry);
    if (problem !== undefined) {
      if (!isServerLogObject(entry)) {
        out.bad.push({ line: entryLine, reason: `not an audit entry: ${problem}` });
      }
      continue;
    }
    const record = entry as Record<string, unknown>;
    // The JSON text as it is in the chunk: the line itself, or its end after a framing's prefix.
    const readInPlace =
      columns !== undefined &&
      ascii &&
      !joined &&
      lineText.endsWith(text) &&
      columns.addInPlace(text, record, start + lineText.length - text.length);
    if (columns !== undefined && !readInPlace) columns.addFlattened();
    const s = readInPlace
      ? { ...identifyEntry(record), plain: "", hmacs: "" }
      : summarizeEntry(record);
    out.lineOf.push(entryLine);
    out.keys.push(s.key);
    out.times.push(s.time);
    out.timeMs.push(s.timeMs);
    out.paths.push(s.path);
    out.plains.push(s.plain);
    out.hmacs.push(s.hmacs);
  }
  dropGroup();
  out.lines = line;
  return columns === undefined ? out : { ...out, inPlace: columns.finish() };
}
