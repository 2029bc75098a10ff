// Bytes → records + term pages + bad lines: the work of one ingest task. Pure and synchronous so
// it runs the same in a worker and in tests. Hot path: ~JSON.parse speed; one pass over the lines,
// terms kept as binary strings in one Map per field, blocks compressed as they fill.
//
// Contract: every non-blank line is a record (an audit entry, after unwrapping its framing:
// framing/), a skipped line (a server's own log in a mixed stream) or a bad line with a reason;
// a bad line never costs a neighbour. Docker and CRI parts are joined into one record; one whose
// last part is not in the task is a bad line (the chunker keeps a record's parts together).
// CRLF endings are accepted; records are stored without the line ending and without a device
// prefix, framed lines as written (framing/record-json.ts reads the entry back).
// A line longer than maxLineBytes is a bad line, never decoded (long-lines.ts).
import { kindValue, notAnAuditEntry } from "../audit/audit-entry.js";
import { HMAC_PREFIX } from "../audit/audit-hmac.js";
import { TermExtractor, termForText } from "../audit/extract-terms.js";
import { FIELDS } from "../audit/field-catalog.js";
import { hasTextTerms, termText } from "../audit/index-term.js";
import { ByteWriter } from "../codec/byte-writer.js";
import { appendRecordBlock, BLOCK_BYTES } from "../codec/record-block.js";
import { TermPagesWriter } from "../codec/term-pages.js";
import { HmacPostings, looksLikeHmac } from "./hmac-postings.js";
import { longLineReason, MAX_LINE_BYTES } from "./long-lines.js";
import type { FramingName, InputMode } from "../audit/framing/input-mode.js";
import { unwrapLine } from "../audit/framing/unwrap-line.js";
import { withOrigin, type RecordOrigin } from "../audit/record-origin.js";
import { isServerLogObject, isServerLogText } from "./server-log-lines.js";
import { TimePostings } from "./time-postings.js";
import { packResult, type BadLine, type FieldPages, type Span } from "./worker-protocol.js";

const NEWLINE = 10;
const CR = 13;
const OPEN_BRACE = 123;
const IS_TEXT_FIELD = FIELDS.map((f) => hasTextTerms(f.kind));
const TIME_FIELD = FIELDS.findIndex((f) => f.kind === "time");
const TOKEN_FIELD = FIELDS.findIndex((f) => f.name === "token");
const extractor = new TermExtractor();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Why the JSON text is not usable, in words a responder understands. */
function jsonProblem(err: unknown, text: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/end of (JSON )?input|Unterminated string/i.test(msg)) return "truncated JSON entry";
  if (/[\u0000-\u0008\u000e-\u001f]/.test(text.slice(0, 200))) return "binary data, not JSON";
  return `not JSON (${msg.replace(/^[^:]*JSON[^:]*: /, "").slice(0, 80)})`;
}

/** Merge two ascending id lists into one, without duplicates. */
function unionSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = i < a.length ? a[i]! : Infinity;
    const y = j < b.length ? b[j]! : Infinity;
    const v = Math.min(x, y);
    if (x === v) i++;
    if (y === v) j++;
    out.push(v);
  }
  return out;
}

/**
 * Texts → terms; texts with one term (`10.0.0.5` and `10.0.0.5:5696`) share a posting list. A
 * text with no term is either no value of the field (an `ip` that is no address: dropped) or a
 * value the dictionary cannot list (a `time` that does not parse: `untermed`).
 * A text seen in one record maps to that record's id (a number: most texts are unique, and one
 * array per text was a tenth of a worker's time in garbage collection).
 */
function termsOfTexts(
  field: number,
  texts: Map<string, number | number[]>,
): { terms: Map<string, number[]>; untermed: boolean } {
  const terms = new Map<string, number[]>();
  let untermed = false;
  for (const [text, idOrIds] of texts) {
    const ids = typeof idOrIds === "number" ? [idOrIds] : idOrIds;
    const term = termForText(field, text);
    if (term === undefined) {
      if (kindValue(FIELDS[field]!.kind, text) !== undefined) untermed = true;
      continue;
    }
    const seen = terms.get(term);
    terms.set(term, seen ? unionSorted(seen, ids) : ids);
  }
  return { terms, untermed };
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
  const textMaps = FIELDS.map(() => new Map<string, number | number[]>());
  const hmacs = FIELDS.map(() => new HmacPostings());
  const times = new TimePostings();
  const bad: BadLine[] = [];
  const payload = new ByteWriter(bytes.length >>> 1);
  const blocks: Span[] = [];
  const blockStarts: number[] = [];
  let blockLineStarts: number[] = [];
  let blockLineEnds: number[] = [];
  let blockBytes = 0;
  let records = 0;
  let line = 0;
  let minTimeTerm: string | undefined;
  let maxTimeTerm: string | undefined;
  let detectedPrefix: string | undefined;
  let currentId = 0;
  let timedRecords = 0;
  let rawTokenRecords = 0;
  let rawToken = false;
  let skipped = 0;
  const framingsSeen = new Set<FramingName>();
  const sink = (f: number, text: string): void => {
    if (IS_TEXT_FIELD[f] && looksLikeHmac(text) && hmacs[f]!.add(text, currentId)) return;
    // A device with log_raw=true writes client tokens in plain text (never empty: empty is absent).
    if (f === TOKEN_FIELD && !text.startsWith(HMAC_PREFIX)) rawToken = true;
    if (f === TIME_FIELD && times.add(text, currentId)) return;
    const map = textMaps[f]!;
    const seen = map.get(text);
    if (seen === undefined) map.set(text, currentId);
    else if (typeof seen === "number") {
      if (seen !== currentId) map.set(text, [seen, currentId]);
    } else if (seen[seen.length - 1] !== currentId) seen.push(currentId);
  };

  const flushBlock = (): void => {
    if (blockLineStarts.length === 0) return;
    const at = payload.length;
    blocks.push([at, appendRecordBlock(payload, bytes, blockLineStarts, blockLineEnds)]);
    blockLineStarts = [];
    blockLineEnds = [];
    blockBytes = 0;
  };

  // A Docker or CRI record split into parts: its first line and the text gathered so far.
  let group: { line: number; start: number; framing: FramingName; text: string } | undefined;
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
      if (framed?.partial === true) {
        if (group === undefined) group = { line, start: lineStart, framing, text: framed.text };
        else group.text += framed.text;
        continue;
      }
      if (framed !== undefined) text = framed.text;
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
    }

    currentId = records;
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
      rawToken = false;
      extractor.extract(withOrigin(entry, origin), sink);
      if (rawToken) rawTokenRecords++;
    }

    if (linePrefix !== undefined) detectedPrefix ??= linePrefix;
    if (framing !== "json") framingsSeen.add(framing);
    const id = records++;
    if (blockLineStarts.length === 0) blockStarts.push(id);
    blockLineStarts.push(s);
    blockLineEnds.push(e);
    blockBytes += e - s + 4;
    if (blockBytes >= BLOCK_BYTES) flushBlock();
  }
  dropGroup(UNFINISHED);
  flushBlock();

  const fields: FieldPages[] = [];
  const untermedFields: number[] = [];
  for (let f = 0; f < FIELDS.length; f++) {
    const { terms, untermed } = termsOfTexts(f, textMaps[f]!);
    if (untermed) untermedFields.push(FIELDS[f]!.code);
    const hmacTerms = hmacs[f]!;
    // Times of the usual shape are in `times`; merged into the Map only when other shapes came too.
    const fastTimes = f === TIME_FIELD && times.length > 0;
    if (fastTimes && terms.size > 0) times.collect(terms);
    if (terms.size === 0 && hmacTerms.length === 0 && !fastTimes) continue;
    const writer = new TermPagesWriter(records);
    if (fastTimes && terms.size === 0) {
      const span = times.writeTo(writer);
      ({ min: minTimeTerm, max: maxTimeTerm, records: timedRecords } = span);
    } else {
      // Binary strings compare in byte order, which is the order the pages are searched in.
      const sorted = [...terms.keys()].sort();
      if (f === TIME_FIELD) {
        for (const ids of terms.values()) timedRecords += ids.length;
        minTimeTerm = sorted[0];
        maxTimeTerm = sorted[sorted.length - 1];
      }
      for (const term of sorted) writer.add(term, terms.get(term)!);
    }
    // HMAC terms (TAG_HMAC) sort after every text term (TAG_TEXT): they go last, straight from
    // their sorted typed arrays.
    hmacTerms.writeTo(writer);
    const encoded = writer.finish();
    const pages: Span[] = [];
    for (const page of encoded.pages) {
      pages.push([payload.length, page.length]);
      payload.bytes(page);
    }
    const directory: Span = [payload.length, encoded.directory.length];
    payload.bytes(encoded.directory);
    fields.push({ code: FIELDS[f]!.code, termCount: encoded.termCount, directory, pages });
  }

  return packResult(payload.view(), {
    records,
    lines: line,
    bad,
    blocks,
    blockStarts,
    fields,
    minTime: minTimeTerm === undefined ? undefined : termText("time", minTimeTerm),
    maxTime: maxTimeTerm === undefined ? undefined : termText("time", maxTimeTerm),
    detectedPrefix,
    timedRecords,
    untermedFields,
    rawTokenRecords,
    skipped,
    framings: [...framingsSeen],
  });
}
