// A generated audit log indexed in small chunks (so it spans many segments), with the oracle's
// independent reading of the same entries: the set-up the query tests that compare the engine
// with the oracle share.
import path from "node:path";
import { writeAuditLog, type GenerateOptions } from "../../src/demo/generate-log.js";
import { openIndex, type BreakglassIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { oracleEntries, type OEntry } from "../oracle/query-oracle.js";
import { scanLogs } from "../oracle/scan-log.js";

export interface GeneratedIndex {
  readonly index: BreakglassIndex;
  readonly entries: OEntry[];
}

/** Writes the log `generate` describes, indexes it in `chunkBytes` chunks, opens it with `salt`. */
export async function indexGeneratedLog(
  tempDir: () => string,
  generate: GenerateOptions & { readonly salt: string },
  chunkBytes: number,
): Promise<GeneratedIndex> {
  const log = path.join(tempDir(), "audit.log");
  await writeAuditLog(log, generate);
  const entries = oracleEntries(scanLogs([log]));
  const db = tempDir();
  await indexFiles(db, [log], { workers: 2, chunkBytes });
  return { index: openIndex(db, { salt: generate.salt }), entries };
}
