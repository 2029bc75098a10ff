// The index directory: private whatever the umask (it holds what the audit log holds), and of a
// format version this breakglass reads, else a clear error that says what to do.
import { readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { InputError } from "../../src/errors.js";
import { openIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { openIndexEnv } from "../../src/store/index-env.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-store-");

function smallLog(dir: string): string {
  const file = path.join(dir, "audit.log");
  const lines = [...generateAuditLines({ seed: 3, targetBytes: 20_000, salt: "s" })];
  writeFileSync(file, lines.map((l) => l + "\n").join(""));
  return file;
}

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

describe("index directory permissions", () => {
  const savedUmask = process.umask();
  afterEach(() => void process.umask(savedUmask));

  test.each([
    ["0", 0o000],
    ["022", 0o022],
    ["002", 0o002],
  ])("with umask %s the directory is 0700 and every file in it 0600", async (_name, umask) => {
    const dir = tempDir();
    const log = smallLog(dir);
    const db = path.join(dir, "nested", "db");
    process.umask(umask);
    await indexFiles(db, [log], { workers: 1 });
    // Reading (and indexing again) must not widen anything either.
    const ix = openIndex(db);
    await ix.close();
    await indexFiles(db, [log], { workers: 1 });
    process.umask(savedUmask);

    const names = readdirSync(db);
    expect(names).toContain("index.mdb");
    expect(mode(db)).toBe("700");
    expect(Object.fromEntries(names.map((n) => [n, mode(path.join(db, n))]))).toEqual(
      Object.fromEntries(names.map((n) => [n, "600"])),
    );
  });
});

describe("opening an index", () => {
  test("that does not exist is an input error that says how to make one", () => {
    const missing = path.join(tempDir(), "nothing-here");
    expect(() => openIndex(missing)).toThrow(InputError);
    try {
      openIndex(missing);
    } catch (err) {
      expect((err as InputError).message).toContain(missing);
      expect((err as InputError).hint).toMatch(/breakglass index/);
    }
  });

  // 2: the format before checksums, whose values this breakglass would read as damaged.
  test.each([2, 999])(
    "of format version %i fails with a message that says to rebuild it",
    async (version) => {
      const dir = tempDir();
      const db = path.join(dir, "db");
      await indexFiles(db, [smallLog(dir)], { workers: 1 });
      const env = openIndexEnv(db, { create: false });
      env.meta.putSync("format", version);
      await env.close();

      let thrown: unknown;
      try {
        openIndex(db);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(InputError);
      expect((thrown as InputError).message).toMatch(new RegExp(`format version ${version};`));
      expect((thrown as InputError).hint).toMatch(/rebuild|remove/);
    },
  );
});

describe("an existing empty directory", () => {
  const emptyDir = tempDirs("bg-empty-");
  test("becomes the index (and turns 0700)", async () => {
    const dir = emptyDir();
    const env = openIndexEnv(dir, { create: true });
    await env.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });
});
