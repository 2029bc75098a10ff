// Aligning the index's units with a file's: each kind of difference becomes the hunk it is, and
// lines appended after the last indexed one are growth, not a hunk.
import { describe, expect, test } from "vitest";
import { diffUnits } from "../../src/evidence/diff-units.js";

const seq = (n: number): number[] => Array.from({ length: n }, (_, i) => 1000 + i);

describe("diffUnits", () => {
  test.each([
    ["nothing changed", seq(10), seq(10), [], 0],
    ["lines appended", seq(10), [...seq(10), 7, 8], [], 2],
    [
      "line 4 edited",
      seq(10),
      seq(10).map((v, i) => (i === 3 ? 1 : v)),
      [{ a0: 3, a1: 4, b0: 3, b1: 4 }],
      0,
    ],
    [
      "line 4 removed",
      seq(10),
      seq(10).filter((_, i) => i !== 3),
      [{ a0: 3, a1: 4, b0: 3, b1: 3 }],
      0,
    ],
    [
      "a line inserted before line 4",
      seq(10),
      [...seq(3), 1, ...seq(10).slice(3)],
      [{ a0: 3, a1: 3, b0: 3, b1: 4 }],
      0,
    ],
    ["the tail cut after line 6", seq(10), seq(6), [{ a0: 6, a1: 10, b0: 6, b1: 6 }], 0],
  ] as const)("%s", (_, a, b, hunks, appended) => {
    const d = diffUnits(a, b);
    expect(d.hunks).toEqual(hunks);
    expect(d.appended).toBe(appended);
    expect(d.diverged).toBe(false);
  });

  test("no agreement within the resync window: the rest is one hunk, marked diverged", () => {
    const d = diffUnits(seq(10), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 4);
    expect(d.hunks).toEqual([{ a0: 0, a1: 10, b0: 0, b1: 10 }]);
    expect(d.diverged).toBe(true);
  });
});
