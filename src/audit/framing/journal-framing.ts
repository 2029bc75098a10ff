// `journalctl -o json` framing: one JSON object a line, the logged text in `MESSAGE`. Recognized
// by its first key, `__CURSOR`, which journalctl always writes first. Pure; safe in workers.

const HEAD = '{"__CURSOR":';

export function isJournalLine(line: string): boolean {
  return line.startsWith(HEAD);
}

/** The MESSAGE of a journal entry (undefined when it has none as text). */
export function journalText(line: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const message = (value as { MESSAGE?: unknown }).MESSAGE;
  return typeof message === "string" ? message : undefined;
}
