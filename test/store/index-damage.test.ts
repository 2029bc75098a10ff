// Damage that no single checksum can see: a record LMDB lost (a damaged b-tree page drops its
// entries), or a metadata value written by hand. The store's cross-checks (segments cover every
// record id; files and segments agree; counters are past every id; every database and the
// format stamp exist) turn each into the damaged-index error, never a short answer.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { open } from "lmdb";
import { beforeAll, describe, expect, test } from "vitest";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { InputError } from "../../src/errors.js";
import { openIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { encodeCounters } from "../../src/store/meta-records.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-store-damage-");
let logs: string[];

beforeAll(() => {
  const dir = tempDir();
  const lines = [...generateAuditLines({ seed: 5, targetBytes: 200_000, salt: "s" })];
  const half = Math.floor(lines.length / 2);
  logs = [lines.slice(0, half), lines.slice(half)].map((part, i) => {
    const file = path.join(dir, `audit-${i}.log`);
    writeFileSync(file, part.join("\n") + "\n");
    return file;
  });
});

/** A fresh two-file index (two segments), then `edit` applied to it with lmdb directly. */
async function damagedIndex(
  edit: (root: ReturnType<typeof open>) => void,
): Promise<{ db: string; index: () => Promise<void> }> {
  const db = path.join(tempDir(), "db");
  await indexFiles(db, logs, { workers: 1 });
  const root = open({ path: path.join(db, "index.mdb") });
  try {
    edit(root);
  } finally {
    await root.close();
  }
  return { db, index: async () => void (await indexFiles(db, logs, { workers: 1 })) };
}

function damageOf(act: () => unknown): string {
  try {
    act();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).hint).toMatch(/rebuild it/);
    return (err as InputError).message;
  }
  throw new Error("no error");
}

const ids = { keyEncoding: "uint32", encoding: "binary" } as const;

describe("a lost or contradicting record", () => {
  test("a lost segment record: opening the index says which records have no segment", async () => {
    const { db, index } = await damagedIndex((root) => {
      root.openDB<Buffer, number>("segments", ids).removeSync(0);
    });
    expect(damageOf(() => openIndex(db))).toMatch(/is damaged: no segment holds records 0-/);
    await expect(index()).rejects.toThrow(/is damaged: no segment holds records 0-/);
  });

  test("a lost last segment: the segments hold fewer records than the counters", async () => {
    const { db } = await damagedIndex((root) => {
      root.openDB<Buffer, number>("segments", ids).removeSync(1);
    });
    expect(damageOf(() => openIndex(db))).toMatch(/its segments hold \d+ records, its id counters/);
  });

  test("a lost file record: stats and index say the segment's file has no record", async () => {
    const { db, index } = await damagedIndex((root) => {
      root.openDB<Buffer, number>("files", ids).removeSync(1);
    });
    const ix = openIndex(db);
    try {
      expect(damageOf(() => ix.stats())).toMatch(/segment \d+'s file 1 has no record/);
    } finally {
      await ix.close();
    }
    await expect(index()).rejects.toThrow(/is damaged: segment \d+'s file 1 has no record/);
  });

  test("counters behind the segments (well-formed, checksummed): index refuses to write", async () => {
    const { index } = await damagedIndex((root) => {
      root.openDB("meta", {}).putSync("next", encodeCounters({ record: 0, segment: 0, file: 0 }));
    });
    await expect(index()).rejects.toThrow(/is damaged: its segments hold \d+ records/);
  });

  test.each(["format", "next"])("a lost meta %s entry is damage", async (key) => {
    const { db, index } = await damagedIndex((root) => {
      root.openDB("meta", {}).removeSync(key);
    });
    const message = key === "format" ? /format stamp is missing/ : /segments hold \d+ records/;
    expect(damageOf(() => openIndex(db))).toMatch(message);
    await expect(index()).rejects.toThrow(message);
  });

  test("a lost database: opening says which, and index does not create it", async () => {
    const { db, index } = await damagedIndex((root) => {
      root.openDB("terms", {}).drop();
    });
    expect(damageOf(() => openIndex(db))).toMatch(/its terms database is missing/);
    await expect(index()).rejects.toThrow(/its terms database is missing/);
    expect(damageOf(() => openIndex(db))).toMatch(/its terms database is missing/);
  });
});
