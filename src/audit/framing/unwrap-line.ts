// One physical line → its framing and the text inside (an audit entry's JSON, a server's log
// message, or a part of either). The one place that knows which framings `--input` allows and in
// which order `auto` tries them. Pure; safe in workers; a regular expression or two a line.
import { criFrame } from "./cri-framing.js";
import { dockerText, isDockerLine } from "./docker-framing.js";
import type { FramingName, InputMode } from "./input-mode.js";
import { isJsonxLine, jsonxText } from "./jsonx-framing.js";
import { isJournalLine, journalText } from "./journal-framing.js";
import { detectedPrefixEnd } from "./prefix-framing.js";
import { syslogMessageStart } from "./syslog-framing.js";

export interface Framed {
  readonly framing: FramingName;
  /** The text inside the framing (the whole line for plain JSON). */
  readonly text: string;
  /** A part of a longer line (Docker, CRI): the next part of this framing continues it. */
  readonly partial: boolean;
  /** Why the line, recognized in this framing, holds no readable entry (a broken JSONx document). */
  readonly problem?: string;
}

const OPEN_BRACE = 123;

function syslog(line: string): Framed | undefined {
  const at = syslogMessageStart(line);
  return at < 0 ? undefined : { framing: "syslog", text: line.slice(at), partial: false };
}

/** A JSONx line as the JSON text of its entry (or the problem that stops it). */
export function jsonx(line: string): Framed {
  const x = jsonxText(line);
  return "json" in x
    ? { framing: "jsonx", text: x.json, partial: false }
    : { framing: "jsonx", text: "", partial: false, problem: x.problem };
}

function cri(line: string): Framed | undefined {
  const f = criFrame(line);
  return f === undefined
    ? undefined
    : { framing: "cri", text: line.slice(f.start), partial: f.partial };
}

/**
 * The framing of `line` (no line ending) under `mode`, or undefined when none fits (text with
 * no `{`, say). Plain JSON (a line starting with `{`) passes under every mode. `hint`: the
 * framing the file was detected in, tried first.
 */
export function unwrapLine(line: string, mode: InputMode, hint?: FramingName): Framed | undefined {
  const auto = mode === "auto";
  if (line.charCodeAt(0) === OPEN_BRACE) {
    if ((auto || mode === "docker") && isDockerLine(line)) {
      const d = dockerText(line);
      if (d !== undefined) return { framing: "docker", text: d.text, partial: d.partial };
    }
    if (auto && isJournalLine(line)) {
      const message = journalText(line);
      if (message !== undefined) return { framing: "journal", text: message, partial: false };
    }
    return { framing: "json", text: line, partial: false };
  }
  if ((auto || mode === "jsonx") && isJsonxLine(line)) return jsonx(line);
  if (auto) {
    const framed = hint === "syslog" ? (syslog(line) ?? cri(line)) : (cri(line) ?? syslog(line));
    if (framed !== undefined) return framed;
  } else if (mode === "syslog") return syslog(line);
  else if (mode === "cri") return cri(line);
  if (auto || mode === "json") {
    const brace = detectedPrefixEnd(line);
    if (brace > 0) return { framing: "prefix", text: line.slice(brace), partial: false };
  }
  return undefined;
}

/**
 * True when the line (bytes, no line ending) is a Docker or CRI partial: the record goes on in the
 * next line. Used where content is cut into chunks, so a chunk never ends inside a record.
 */
export function isPartialLine(line: string, mode: InputMode): boolean {
  if (mode !== "auto" && mode !== "docker" && mode !== "cri") return false;
  const framed = unwrapLine(line, mode);
  return framed !== undefined && framed.partial;
}
