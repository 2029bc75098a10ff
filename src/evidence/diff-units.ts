// Align the units the index holds with those a file holds now (line-units.ts) and say where they
// differ, as hunks: index units [a0, a1) stand where file units [b0, b1) are now. Logs are
// append-only, so the two agree almost everywhere: walk both in step, and at a difference look
// for the nearest place they agree again (the smallest number of units skipped on both sides,
// up to RESYNC_UNITS). Past that the rest is one hunk. File units after the last index unit are
// what was appended since indexing: not a hunk. Cost: linear where they agree, RESYNC_UNITS²/2
// comparisons at worst per difference.

/** How far to look for agreement after a difference: 4096 units (≤ 8.4 M comparisons). */
export const RESYNC_UNITS = 4096;

export interface Hunk {
  readonly a0: number;
  readonly a1: number;
  readonly b0: number;
  readonly b1: number;
}

export interface UnitDiff {
  readonly hunks: readonly Hunk[];
  /** File units after the last index unit: appended since indexing. */
  readonly appended: number;
  /** No agreement was found within RESYNC_UNITS after the last hunk. */
  readonly diverged: boolean;
}

export function diffUnits(
  a: readonly number[],
  b: readonly number[],
  resync = RESYNC_UNITS,
): UnitDiff {
  const hunks: Hunk[] = [];
  let i = 0;
  let j = 0;
  let diverged = false;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
      continue;
    }
    let found = false;
    for (let d = 1; d <= resync && !found; d++) {
      for (let di = 0; di <= d; di++) {
        const dj = d - di;
        if (i + di < a.length && j + dj < b.length && a[i + di] === b[j + dj]) {
          hunks.push({ a0: i, a1: i + di, b0: j, b1: j + dj });
          i += di;
          j += dj;
          found = true;
          break;
        }
      }
    }
    if (!found) {
      hunks.push({ a0: i, a1: a.length, b0: j, b1: b.length });
      i = a.length;
      j = b.length;
      diverged = true;
    }
  }
  if (i < a.length) hunks.push({ a0: i, a1: a.length, b0: j, b1: j });
  return { hunks, appended: b.length - j, diverged };
}
