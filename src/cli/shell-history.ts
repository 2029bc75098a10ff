// Where does `breakglass shell` keep its history between sessions? In `shell-history` in the index
// directory: one line per entry, oldest first, at most HISTORY_LINES, mode 0600 (queries name
// IPs, paths and tokens of an incident). Lines holding `hash("…")` are never written: their
// argument is a plaintext secret (a leaked password); they stay in the session's memory only.
// Writing is best effort: a read-only index directory costs the history, never the session.
import fs from "node:fs";
import path from "node:path";

export const HISTORY_FILE = "shell-history";
/** Lines kept, in memory and on disk: plenty for an incident, small enough to rewrite per line. */
export const HISTORY_LINES = 1000;
const HISTORY_MODE = 0o600;

const HOLDS_PLAINTEXT = /\bhash\s*\(/i;

export function historyPath(dbDir: string): string {
  return path.join(dbDir, HISTORY_FILE);
}

/** The lines worth saving, oldest first, capped: no blanks, comments, plaintexts or repeats of the line before. */
export function historyToSave(linesOldestFirst: readonly string[]): string[] {
  const kept: string[] = [];
  for (const line of linesOldestFirst) {
    const text = line.trim();
    if (
      text === "" ||
      text.startsWith("#") ||
      HOLDS_PLAINTEXT.test(text) ||
      kept[kept.length - 1] === text
    )
      continue;
    kept.push(text);
  }
  return kept.slice(-HISTORY_LINES);
}

/** The saved history, oldest first; empty when there is none or it cannot be read. */
export function loadHistory(file: string): string[] {
  try {
    return historyToSave(fs.readFileSync(file, "utf8").split("\n"));
  } catch {
    return [];
  }
}

/**
 * Replaces the history file with `linesOldestFirst` (filtered and capped), mode 0600 even if an
 * older file had another mode. Written to a temporary file and renamed, so a crash mid-write
 * never truncates it. Returns the error instead of throwing.
 */
export function saveHistory(file: string, linesOldestFirst: readonly string[]): Error | undefined {
  const lines = historyToSave(linesOldestFirst);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fd = fs.openSync(tmp, "w", HISTORY_MODE);
    try {
      fs.fchmodSync(fd, HISTORY_MODE); // exactly 0600, whatever the umask
      fs.writeFileSync(fd, lines.length === 0 ? "" : lines.join("\n") + "\n");
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    return undefined;
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    return err instanceof Error ? err : new Error(String(err));
  }
}
