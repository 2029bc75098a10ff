// The shell's history file: what is kept (capped, no blanks, no repeats, never a hash() plaintext),
// read back oldest first, written 0600 whatever the umask or the old file's mode.
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import {
  HISTORY_LINES,
  historyPath,
  historyToSave,
  loadHistory,
  saveHistory,
} from "../../src/cli/shell-history.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-shell-history-");

describe("historyToSave", () => {
  test.each<[string[], string[]]>([
    [
      ["a", "", "  ", "b"],
      ["a", "b"],
    ],
    [["# from a script", "a"], ["a"]],
    [
      ["a", "a", "b", "a"],
      ["a", "b", "a"],
    ],
    [["  ip = 1  "], ["ip = 1"]],
    [['hmac = hash("hunter2") | leases', "ip = 1", 'x = HASH ("p")'], ["ip = 1"]],
    [['\\explain hmac = hash("pw")'], []],
    [["path = hashicorp"], ["path = hashicorp"]],
  ])("%j keeps %j", (lines, kept) => {
    expect(historyToSave(lines)).toEqual(kept);
  });

  test(`keeps the newest ${HISTORY_LINES} lines`, () => {
    const lines = Array.from({ length: HISTORY_LINES + 50 }, (_, i) => `ip = 10.0.0.${i}`);
    const kept = historyToSave(lines);
    expect(kept).toHaveLength(HISTORY_LINES);
    expect(kept[0]).toBe("ip = 10.0.0.50");
    expect(kept.at(-1)).toBe(lines.at(-1));
  });
});

describe("saveHistory and loadHistory", () => {
  test("round-trip oldest first, the file mode 0600 even over a 0644 file", () => {
    const file = historyPath(tempDir());
    writeFileSync(file, "old\n");
    chmodSync(file, 0o644);
    expect(saveHistory(file, ["old", "ip = 1", "ip = 2"])).toBeUndefined();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toBe("old\nip = 1\nip = 2\n");
    expect(loadHistory(file)).toEqual(["old", "ip = 1", "ip = 2"]);
  });

  test("a missing file is an empty history", () => {
    expect(loadHistory(path.join(tempDir(), "none"))).toEqual([]);
  });

  test("a directory that cannot be written returns the error and leaves no temporary file", () => {
    const dir = path.join(tempDir(), "missing-dir");
    const err = saveHistory(historyPath(dir), ["ip = 1"]);
    expect(err).toBeInstanceOf(Error);
    expect(existsSync(dir)).toBe(false);
  });
});
