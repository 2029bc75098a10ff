// Relative times in the language: `now`, `now-15m`, `now-1h`, `now-7d` (units s, m, h, d, w).
// The parser keeps them as written (a literal of form "relativeTime"); resolve-values.ts turns
// them into an RFC 3339 time when the query runs, so the shell, a saved query or a page that
// reruns it always means "before the moment it ran", not "before the moment it was typed".
// Pure.

const RELATIVE_TIME = /^now(?:-(\d{1,9})([smhdw]))?$/i;

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export const RELATIVE_TIME_HINT = "relative times look like now, now-30s, now-15m, now-1h, now-7d";

export function isRelativeTime(text: string): boolean {
  return RELATIVE_TIME.test(text);
}

/** The RFC 3339 UTC time `text` (a relative time) stands for at `nowMs`. */
export function resolveRelativeTime(text: string, nowMs: number): string {
  const m = RELATIVE_TIME.exec(text);
  if (!m) throw new Error(`not a relative time: ${text}`);
  const back = m[1] === undefined ? 0 : Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]!;
  return new Date(nowMs - back).toISOString();
}
