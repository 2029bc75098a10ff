// Which catalog a segment was indexed with: segments written now record every field's revision;
// segments that record none (indexes written before the record existed) are read as the catalog
// of that time; a field missing or at another revision makes the segment stale for it; and
// compaction keeps a merged segment stale for a field any of its parts was stale for.
import path from "node:path";
import { describe, expect, test } from "vitest";
import { FIELDS, fieldByName, type FieldSpec } from "../../src/audit/field-catalog.js";
import { writeAuditLog } from "../../src/demo/generate-log.js";
import { openIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { runQuery } from "../../src/query/run-query.js";
import { compactSegments } from "../../src/store/compact-segments.js";
import type { SegmentMeta } from "../../src/store/format.js";
import { openIndexEnv } from "../../src/store/index-env.js";
import { IndexWriter } from "../../src/store/index-writer.js";
import { readSegmentMetas } from "../../src/store/meta-records.js";
import {
  currentFieldRevisions,
  isFieldCurrent,
  mergedFieldRevisions,
  staleReason,
  UNRECORDED_CATALOG_CODES,
} from "../../src/store/segment-catalog.js";
import { dropFields } from "../helpers/age-index.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { localReader } from "../helpers/local-reader.js";

const tempDir = tempDirs("bg-segment-catalog-");

function segment(fieldRevisions?: Record<number, number>): SegmentMeta {
  return {
    id: 0,
    base: 0,
    records: 1,
    file: 0,
    firstLine: 1,
    blockStarts: [0],
    minTime: undefined,
    maxTime: undefined,
    timedRecords: 0,
    fieldPages: {},
    fieldRevisions,
  };
}

const field = (code: number, revision: number): FieldSpec => ({
  name: `f${code}`,
  code,
  revision,
  kind: "text",
  paths: ["x"],
  description: "a test field",
});

describe("a segment's catalog", () => {
  test("a segment that records none indexed dff17fd's catalog: codes 1 to 31, revision 1", () => {
    expect(UNRECORDED_CATALOG_CODES).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    const old = segment(undefined);
    for (const code of UNRECORDED_CATALOG_CODES)
      expect(staleReason(old, field(code, 1))).toBe(undefined);
    expect(staleReason(old, field(32, 1))).toBe("absent");
    expect(staleReason(old, field(5, 2))).toBe("revision");
  });

  test("a recorded catalog decides alone: a field it lacks is absent, another revision stale", () => {
    const s = segment({ 1: 1, 2: 3 });
    expect(isFieldCurrent(s, field(1, 1))).toBe(true);
    expect(staleReason(s, field(2, 2))).toBe("revision");
    expect(staleReason(s, field(3, 1))).toBe("absent");
  });

  test("a merged segment keeps a field only when every part indexed it at one revision", () => {
    expect(mergedFieldRevisions([segment({ 1: 1, 2: 2, 40: 1 }), segment({ 1: 1, 2: 1 })])).toEqual(
      {
        1: 1,
      },
    );
    const legacy = Object.fromEntries(UNRECORDED_CATALOG_CODES.map((c) => [c, 1]));
    expect(mergedFieldRevisions([segment(undefined), segment(undefined)])).toEqual(legacy);
    expect(mergedFieldRevisions([segment(undefined), segment({ ...legacy, 32: 1 })])).toEqual(
      legacy,
    );
  });

  test("segments written now record every catalog field's revision", async () => {
    const log = path.join(tempDir(), "audit.log");
    await writeAuditLog(log, { seed: 3, targetBytes: 60_000, salt: "s" });
    const db = tempDir();
    await indexFiles(db, [log], { workers: 1, chunkBytes: 16 << 10 });
    const env = openIndexEnv(db, { create: false, readOnly: true });
    try {
      const segments = readSegmentMetas(env);
      expect(segments.length).toBeGreaterThan(1);
      const expected = Object.fromEntries(FIELDS.map((f) => [f.code, f.revision]));
      for (const s of segments) expect(s.fieldRevisions).toEqual(expected);
      expect(currentFieldRevisions()).toEqual(expected);
    } finally {
      await env.close();
    }
  });

  test("compaction: a merged segment with a part that lacked a field is stale for it", async () => {
    const log = path.join(tempDir(), "audit.log");
    await writeAuditLog(log, { seed: 4, targetBytes: 80_000, salt: "s" });
    const pristine = tempDir();
    const db = tempDir();
    for (const d of [pristine, db])
      await indexFiles(d, [log], { workers: 1, chunkBytes: 16 << 10 });
    const kvPath = fieldByName("kv_path")!;
    await dropFields(db, [kvPath.code], (_s, i) => i === 0);
    const env = openIndexEnv(db, { create: false });
    try {
      expect(compactSegments(env, new IndexWriter(env)).into).toBe(1);
    } finally {
      await env.close();
    }
    const ix = openIndex(db);
    const ref = openIndex(pristine);
    try {
      const [merged] = localReader(ix).segments;
      expect(localReader(ix).segments).toHaveLength(1);
      expect(staleReason(merged!, kvPath)).toBe("absent");
      expect(FIELDS.filter((f) => !isFieldCurrent(merged!, f))).toEqual([kvPath]);
      const values: string[] = [];
      for await (const item of (await runQuery(ref.engine, "* | distinct kv_path")).items) {
        if (item.kind === "value" && typeof item.value === "string") values.push(item.value);
      }
      expect(values.length).toBeGreaterThan(0);
      for (const v of values) {
        expect(ref.postings("kv_path", v).length).toBeGreaterThan(0);
        expect(ix.postings("kv_path", v)).toEqual(ref.postings("kv_path", v));
      }
    } finally {
      await ix.close();
      await ref.close();
    }
  });
});
