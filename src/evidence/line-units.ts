// The units `verify` compares: one per line of an audit entry, as the index stores it and as the
// file holds it now. A unit is the line from its first `{` to its end (line ending and trailing
// blanks dropped), so a device prefix or a syslog header, which the index may or may not keep,
// does not count; a Docker or CRI record split into parts is one unit a part. A file's lines that
// are not audit entries (blank, a server's own log, a line that was bad when indexed) are not
// units: they were never records. Units are compared by a 53-bit hash (two FNV-1a passes), so a
// gigabyte log costs a number a line, not its text; the text is read again only for what is
// reported. Pure but for the file reads.
import { notAnAuditEntry } from "../audit/audit-entry.js";
import { unwrapLine } from "../audit/framing/unwrap-line.js";
import { contentFrom } from "../ingest/content-stream.js";

/** The text of a line from its first `{`, line ending and trailing blanks dropped. */
export function unitText(line: string): string | undefined {
  let end = line.length;
  while (end > 0) {
    const c = line.charCodeAt(end - 1);
    if (c !== 13 && c !== 32 && c !== 9) break;
    end--;
  }
  const brace = line.indexOf("{");
  return brace < 0 || brace >= end ? undefined : line.slice(brace, end);
}

/** A 53-bit hash of a unit's text (FNV-1a with two offsets). */
export function unitHash(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}

export interface FileUnit {
  readonly hash: number;
  /** 1-based line number in the file as it is now. */
  readonly line: number;
}

/** Whether a whole line (not a part) is an audit entry, after unwrapping its framing. */
function isAuditEntry(json: string): boolean {
  try {
    return notAnAuditEntry(JSON.parse(json)) === undefined;
  } catch {
    return false;
  }
}

/** Each line of a file's content, 1-based, without its newline (gzip decompressed). */
export async function* contentLines(
  file: string,
  gzip: boolean,
): AsyncGenerator<{ line: number; text: string }> {
  let rest = "";
  let line = 0;
  const decoder = new TextDecoder("utf-8");
  for await (const piece of contentFrom(file, gzip, 0)) {
    const text = rest + decoder.decode(piece, { stream: true });
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      yield { line: ++line, text: text.slice(start, nl) };
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.decode();
  if (rest !== "") yield { line: ++line, text: rest };
}

/** The units of a file as it is now. */
export async function fileUnits(file: string, gzip: boolean): Promise<FileUnit[]> {
  const out: FileUnit[] = [];
  let inParts = false;
  for await (const { line, text } of contentLines(file, gzip)) {
    const unit = unitText(text);
    if (unit === undefined) {
      inParts = false;
      continue;
    }
    const framed = unwrapLine(text.trimEnd(), "auto");
    let keep: boolean;
    if (framed?.partial === true) keep = inParts = true;
    else if (inParts) {
      keep = true; // the last part of a record split into parts
      inParts = false;
    } else keep = isAuditEntry(framed === undefined ? unit : framed.text);
    if (keep) out.push({ hash: unitHash(unit), line });
  }
  return out;
}

/** The text of the given lines of a file as it is now (for the report). */
export async function linesOf(
  file: string,
  gzip: boolean,
  wanted: ReadonlySet<number>,
): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  if (wanted.size === 0) return out;
  const last = Math.max(...wanted);
  for await (const { line, text } of contentLines(file, gzip)) {
    if (wanted.has(line)) out.set(line, text);
    if (line >= last) break;
  }
  return out;
}
