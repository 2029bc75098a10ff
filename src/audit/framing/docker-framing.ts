// Docker's json-file framing: `{"log":"<text>\n","stream":"stdout","time":"…"}` a line. Docker
// splits a line over 16 KiB into several records; only the last one's `log` ends in a newline.
// Recognized by its first key, which Docker always writes first (so a plain audit line is never
// mistaken for it). Pure; safe in workers.

const HEAD = '{"log":';

export function isDockerLine(line: string): boolean {
  return line.startsWith(HEAD);
}

/** The text a Docker record carries, without its newline; partial when it has none. */
export function dockerText(line: string): { text: string; partial: boolean } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const log = (value as { log?: unknown }).log;
  if (typeof log !== "string") return undefined;
  if (!log.endsWith("\n")) return { text: log, partial: true };
  return { text: log.slice(0, log.endsWith("\r\n") ? -2 : -1), partial: false };
}
