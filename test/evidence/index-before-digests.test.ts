// An index written before digests and origins were kept (FORMAT_VERSION 3 as it was: file and
// segment records without contentSha256, sha256, source, device) still opens and answers: stats
// --digest says "not recorded", verify compares entries instead of bytes, and a later run that
// goes on with a grown file records the digest of all its bytes. The old index is made here by
// rewriting the records without the new fields, as the old code wrote them.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { openIndexEnv } from "../../src/store/index-env.js";
import {
  encodeFileMeta,
  encodeSegmentMeta,
  readFileMetas,
  readSegmentMetas,
} from "../../src/store/meta-records.js";
import { ensureBuilt, runBin } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-old-index-");
const lines = [...generateAuditLines({ seed: 4, targetBytes: 60_000, salt: "s" })];
const env = (): Record<string, string> => ({ HOME: tempDir() });

beforeAll(ensureBuilt);

/** A log indexed, then its metadata rewritten as an index from before digests. */
async function oldIndex(): Promise<{ file: string; db: string }> {
  const dir = tempDir();
  const file = path.join(dir, "audit.log");
  const db = path.join(dir, "db");
  writeFileSync(file, lines.join("\n") + "\n");
  await indexFiles(db, [file], { workers: 1 });
  const e = openIndexEnv(db, { create: false });
  try {
    const files = readFileMetas(e);
    const segments = readSegmentMetas(e);
    e.root.transactionSync(() => {
      for (const { contentSha256: _c, source: _s, device: _d, ...old } of files) {
        e.files.putSync(old.id, encodeFileMeta(old));
      }
      for (const { sha256: _h, ...old } of segments)
        e.segments.putSync(old.id, encodeSegmentMeta(old));
    });
  } finally {
    await e.close();
  }
  return { file, db };
}

describe("an index from before digests", () => {
  test("stats --digest says what is not recorded; verify compares entries", async () => {
    const { file, db } = await oldIndex();
    const s = await runBin(["stats", "--db", db, "--digest"], env());
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/^file +not recorded/m);
    expect(s.stdout).toMatch(/^segment +not recorded/m);
    const v = await runBin(["verify", "--db", db], env());
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain("entries compared, not bytes");
    const edited = [...lines];
    edited[6] = edited[6]!.replace('"type":"', '"type":"q');
    writeFileSync(file, edited.join("\n") + "\n");
    const changed = await runBin(["verify", "--db", db, "--json"], env());
    expect(changed.code).toBe(1);
    expect(JSON.parse(changed.stdout.trim())).toMatchObject({ kind: "changed", line: 7 });
  });

  test("a later run on the grown file records the digest of all its bytes", async () => {
    const { file, db } = await oldIndex();
    writeFileSync(file, lines.slice(0, 2).join("\n") + "\n", { flag: "a" });
    expect((await runBin(["index", "--db", db, file], env())).code).toBe(0);
    const s = await runBin(["stats", "--db", db, "--digest", "--json"], env());
    const c = JSON.parse(s.stdout) as { files: { sha256?: string }[] };
    expect(c.files[0]!.sha256).toBe(createHash("sha256").update(readFileSync(file)).digest("hex"));
    const q = await runBin(["query", "--db", db, "* | count by source"], env());
    expect(q.stdout).toContain(file);
  });
});
