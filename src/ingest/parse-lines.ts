// Bytes → records + term pages + bad lines: the work of one ingest task. Pure and synchronous so
// it runs the same in a worker and in tests. Hot path: ~JSON.parse speed; one pass over the lines,
// terms kept as binary strings in one Map per field, blocks compressed as they fill.
//
// Contract: every non-blank line is a record (an audit entry, after unwrapping its framing:
// framing/), a skipped line (a server's own log in a mixed stream) or a bad line with a reason;
// a bad line never costs a neighbour. Docker and CRI parts are joined into one record (the chunker
// keeps a record's parts together); when the input ends before a record's last part, that record
// is left unconsumed (openGroupStart) to be read again when the rest has been written.
// CRLF endings are accepted; records are stored without the line ending and without a device
// prefix, framed lines as written (framing/record-json.ts reads the entry back).
// A line longer than maxLineBytes is a bad line, never decoded (long-lines.ts); so is a record
// whose parts together pass it.
import { notAnAuditEntry } from "../audit/audit-entry.js";
import { ByteWriter } from "../codec/byte-writer.js";
import { lineCompressor } from "../codec/lz4-dict-wasm.js";
import {
  appendRecordBlock,
  BLOCK_BYTES,
  chooseDictionary,
  dictionaryValue,
  LINE_BLOCKS_FROM_BYTES,
  LineBlockPacker,
} from "../codec/record-block.js";
import { longLineReason, MAX_LINE_BYTES, partsReason } from "./long-lines.js";
import type { FramingName, InputMode } from "../audit/framing/input-mode.js";
import { isJsonxLine } from "../audit/framing/jsonx-framing.js";
import { jsonx, unwrapLine } from "../audit/framing/unwrap-line.js";
import { withOrigin, type RecordOrigin } from "../audit/record-origin.js";
import { PostingsBuilder } from "./postings-builder.js";
import { isServerLogObject, isServerLogText } from "./server-log-lines.js";
import { packResult, type BadLine, type Span } from "./worker-protocol.js";

const NEWLINE = 10;
const CR = 13;
const OPEN_BRACE = 123;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Why the JSON text is not usable, in words a responder understands. */
function jsonProblem(err: unknown, text: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/end of (JSON )?input|Unterminated string/i.test(msg)) return "truncated JSON entry";
  if (/[\u0000-\u0008\u000e-\u001f]/.test(text.slice(0, 200))) return "binary data, not JSON";
  return `not JSON (${msg.replace(/^[^:]*JSON[^:]*: /, "").slice(0, 80)})`;
}

function isBlank(bytes: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = bytes[i]!;
    if (c !== 32 && c !== 9 && c !== CR) return false;
  }
  return true;
}

function startsWithBytes(bytes: Uint8Array, s: number, e: number, prefix: Uint8Array): boolean {
  if (e - s < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[s + i] !== prefix[i]) return false;
  return true;
}

/** Why a Docker or CRI record's parts came to nothing. */
const UNFINISHED = "a partial line (Docker or CRI) whose final part never came";

export function parseLines(
  bytes: Uint8Array,
  prefix: string | undefined,
  maxLineBytes = MAX_LINE_BYTES,
  input: InputMode = "auto",
  hint?: FramingName,
  origin?: RecordOrigin,
): ArrayBuffer {
  const prefixBytes = prefix === undefined ? undefined : Buffer.from(prefix, "utf8");
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const postings = new PostingsBuilder();
  const bad: BadLine[] = [];
  const payload = new ByteWriter(bytes.length >>> 1);
  const blocks: Span[] = [];
  const blockStarts: number[] = [];
  // Line blocks against a dictionary taken from this input, stored first in the payload; a small
  // input keeps part blocks (codec/record-block.ts says why).
  let dictionary: Span | undefined;
  let packer: LineBlockPacker | undefined;
  if (bytes.length >= LINE_BLOCKS_FROM_BYTES) {
    const dict = chooseDictionary(bytes);
    const value = dictionaryValue(dict);
    dictionary = [payload.length, value.length];
    payload.bytes(value);
    let packed = 0;
    packer = new LineBlockPacker(lineCompressor(dict), payload, (offset, length, lines) => {
      blocks.push([offset, length]);
      blockStarts.push(packed);
      packed += lines;
    });
  }
  let blockLineStarts: number[] = [];
  let blockLineEnds: number[] = [];
  let blockBytes = 0;
  let records = 0;
  let line = 0;
  let detectedPrefix: string | undefined;
  let rawTokenRecords = 0;
  let skipped = 0;
  const framingsSeen = new Set<FramingName>();

  const flushBlock = (): void => {
    if (blockLineStarts.length === 0) return;
    const at = payload.length;
    blocks.push([at, appendRecordBlock(payload, bytes, blockLineStarts, blockLineEnds)]);
    blockLineStarts = [];
    blockLineEnds = [];
    blockBytes = 0;
  };

  // A Docker or CRI record split into parts: its first line and the text gathered so far.
  // Once its parts pass maxLineBytes it is `oversized`: its text is dropped, its parts are read to
  // the last one, and it is one bad line.
  let group:
    | { line: number; start: number; framing: FramingName; text: string; oversized: boolean }
    | undefined;
  const dropGroup = (why: string): void => {
    if (group !== undefined) bad.push({ line: group.line, reason: why });
    group = undefined;
  };

  let pos = 0;
  const end = bytes.length;
  for (; pos < end; line++) {
    let nl = buf.indexOf(NEWLINE, pos);
    if (nl < 0) nl = end;
    const lineStart = pos;
    // The input ends inside a record's parts, its last line still being written: wait for it.
    if (nl === end && group !== undefined) break;
    let s = pos;
    let e = nl > s && bytes[nl - 1] === CR ? nl - 1 : nl;
    pos = nl + 1;
    if (nl - lineStart > maxLineBytes) {
      dropGroup(UNFINISHED);
      bad.push({ line, reason: longLineReason(nl - lineStart, maxLineBytes) });
      continue;
    }
    if (isBlank(bytes, lineStart, nl)) continue;

    let linePrefix: string | undefined;
    let text: string;
    if (prefixBytes !== undefined) {
      if (!startsWithBytes(bytes, s, e, prefixBytes)) {
        bad.push({ line, reason: `does not start with the prefix ${JSON.stringify(prefix)}` });
        continue;
      }
      s += prefixBytes.length;
    }
    while (e > s && (bytes[e - 1] === 32 || bytes[e - 1] === 9)) e--;
    text = buf.toString("utf8", s, e);
    if (text.includes("\uFFFD")) {
      try {
        text = strictUtf8.decode(bytes.subarray(s, e));
      } catch {
        dropGroup(UNFINISHED);
        bad.push({ line, reason: "invalid UTF-8" });
        continue;
      }
    }

    // Unwrap the framing: `json` entries are stored as they are, `prefix` ones without the prefix,
    // every other framing's as the whole line(s).
    let recordLine = line;
    let framing: FramingName = "json";
    if (prefixBytes === undefined) {
      const framed = unwrapLine(text, input, hint);
      if (framed === undefined)
        dropGroup(UNFINISHED); // not framed: parsed as it is, below
      else framing = framed.framing;
      if (group !== undefined && group.framing !== framing) dropGroup(UNFINISHED);
      if (framed?.problem !== undefined) {
        bad.push({ line, reason: framed.problem });
        continue;
      }
      if (framed?.partial === true) {
        if (group === undefined)
          group = { line, start: lineStart, framing, text: framed.text, oversized: false };
        else if (!group.oversized) group.text += framed.text;
        if (nl - group.start > maxLineBytes) {
          group.oversized = true;
          group.text = "";
        }
        continue;
      }
      if (framed !== undefined) text = framed.text;
      if (group !== undefined && (group.oversized || nl - group.start > maxLineBytes)) {
        const parts = line - group.line + 1;
        bad.push({ line: group.line, reason: partsReason(nl - group.start, maxLineBytes, parts) });
        group = undefined;
        continue;
      }
      if (group !== undefined) {
        text = group.text + text;
        recordLine = group.line;
        s = group.start;
        group = undefined;
      } else if (framing === "prefix") {
        const brace = e - Buffer.byteLength(text);
        linePrefix = buf.toString("utf8", s, brace);
        s = brace;
      } else if (framing !== "json") {
        s = lineStart;
      }
    } else if (input !== "json" && isJsonxLine(text)) {
      framing = "jsonx"; // after a device prefix, stored without it
    }
    // JSONx after a device prefix, or inside another framing (a container's log of such a device).
    const xml =
      framing === "jsonx" ? prefixBytes !== undefined : framing !== "json" && isJsonxLine(text);
    if (xml) {
      const x = jsonx(text);
      if (x.problem !== undefined) {
        bad.push({ line: recordLine, reason: x.problem });
        continue;
      }
      text = x.text;
    }

    {
      let entry: unknown;
      const framedText = framing !== "json" && framing !== "prefix";
      if (framedText && text.trimStart().charCodeAt(0) !== OPEN_BRACE) {
        // A framed stream's other messages: the server's log, not audit entries.
        skipped++;
        continue;
      }
      try {
        entry = JSON.parse(text);
      } catch (err) {
        if (!framedText && isServerLogText(text)) skipped++;
        else bad.push({ line: recordLine, reason: jsonProblem(err, text) });
        continue;
      }
      const problem = notAnAuditEntry(entry);
      if (problem !== undefined) {
        if (isServerLogObject(entry)) skipped++;
        else bad.push({ line: recordLine, reason: `not an audit entry: ${problem}` });
        continue;
      }
      if (postings.add(withOrigin(entry, origin), records)) rawTokenRecords++;
    }

    if (linePrefix !== undefined) detectedPrefix ??= linePrefix;
    if (framing !== "json") framingsSeen.add(framing);
    const id = records++;
    if (packer) {
      packer.add(bytes, s, e);
      continue;
    }
    if (blockLineStarts.length === 0) blockStarts.push(id);
    blockLineStarts.push(s);
    blockLineEnds.push(e);
    blockBytes += e - s + 4;
    if (blockBytes >= BLOCK_BYTES) flushBlock();
  }
  let openGroupStart: number | undefined;
  if (group !== undefined) {
    openGroupStart = group.start;
    line = group.line;
    group = undefined;
  }
  flushBlock();
  packer?.flush();

  const built = postings.finish(records, payload);
  return packResult(payload.view(), {
    records,
    lines: line,
    bad,
    blocks,
    blockStarts,
    dictionary: records > 0 ? dictionary : undefined,
    ...built,
    detectedPrefix,
    rawTokenRecords,
    skipped,
    framings: [...framingsSeen],
    openGroupStart,
  });
}
