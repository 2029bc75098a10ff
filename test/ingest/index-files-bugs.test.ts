// Failing tests that show bugs in src/ (kept out of git until src/ is fixed; see the report).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { openIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-ingest-bugs-");

describe("long values", () => {
  test("postings(field, value) of a value longer than a term finds only the records holding exactly it", async () => {
    const dir = tempDir();
    const file = path.join(dir, "audit.log");
    const long = "secret/" + "a".repeat(600);
    const entries = ["X", "Y"].map((end) =>
      JSON.stringify({ type: "request", request: { id: end, path: long + end } }),
    );
    writeFileSync(file, entries.join("\n") + "\n");
    const db = path.join(dir, "db");
    await indexFiles(db, [file], { workers: 1 });
    const ix = openIndex(db);
    try {
      const viaQuery: number[] = [];
      for await (const r of ix.records(`path = "${long}X"`)) viaQuery.push(r.id);
      expect(viaQuery).toEqual([0]);
      expect([ix.postings("path", long + "X"), ix.postings("path", long + "Y")]).toEqual([
        [0],
        [1],
      ]);
    } finally {
      await ix.close();
    }
  });
});
