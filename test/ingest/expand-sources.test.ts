// PATH arguments → files: what is not a regular file or cannot be read is a problem with a reason
// (and the rest is still listed), a missing path is an error, and an index is never read as logs.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { InputError } from "../../src/errors.js";
import { expandSources } from "../../src/ingest/expand-sources.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-sources-");

function tree(): { dir: string; log: string } {
  const dir = tempDir();
  const log = path.join(dir, "a.log");
  fs.writeFileSync(log, "{}\n");
  return { dir, log };
}

describe("expandSources", () => {
  test.each([
    [
      "a FIFO",
      (dir: string) => {
        const p = path.join(dir, "fifo");
        execFileSync("mkfifo", [p]);
        return p;
      },
      "not a regular file (a FIFO)",
    ],
    ["/dev/zero", () => "/dev/zero", "not a regular file (a character device)"],
    [
      "a symlink loop",
      (dir: string) => {
        fs.symlinkSync(path.join(dir, "loop-b"), path.join(dir, "loop-a"));
        fs.symlinkSync(path.join(dir, "loop-a"), path.join(dir, "loop-b"));
        return path.join(dir, "loop-a");
      },
      "too many levels of symbolic links",
    ],
  ])(
    "%s is a problem that says what it is, and the other files are still listed",
    (_n, make, why) => {
      const { dir, log } = tree();
      const odd = make(dir);
      const sources = expandSources([odd, log]);
      expect(sources.problems).toEqual([`${odd}: ${why}`]);
      expect(sources.files).toEqual([log]);
    },
  );

  test("a missing path is an input error, not a problem", () => {
    const missing = path.join(tempDir(), "nope.log");
    expect(() => expandSources([missing])).toThrow(InputError);
    expect(() => expandSources([missing])).toThrow(`no such file or directory: ${missing}`);
  });

  test("a directory holding an index, and the --db directory, are skipped with a note", () => {
    const { dir, log } = tree();
    const other = path.join(dir, "old-index");
    fs.mkdirSync(path.join(other, "spool"), { recursive: true });
    fs.writeFileSync(path.join(other, "index.mdb"), "not logs");
    fs.writeFileSync(path.join(other, "spool", "spool-0000000000-1.log"), "{}\n");
    const db = path.join(dir, "db"); // the index being written, not made yet
    fs.mkdirSync(db);
    fs.writeFileSync(path.join(db, "writer.json"), "{}");
    const sources = expandSources([dir], db);
    expect(sources.files).toEqual([log]);
    expect(sources.problems).toEqual([]);
    expect([...sources.notes].sort()).toEqual([
      `skipped ${db}: it is a breakglass index, not logs`,
      `skipped ${other}: it is a breakglass index, not logs`,
    ]);
    // Named or matched inside an index: skipped too.
    const named = expandSources([path.join(other, "index.mdb"), `${dir}/**/*.log`], db);
    expect(named.files).toEqual([log]);
    expect(named.notes).toEqual([`skipped ${other}: it is a breakglass index, not logs`]);
  });
});
