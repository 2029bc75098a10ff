// `breakglass stats --backend URL`: what a ClickHouse database holds, in the same shape as the
// local index's stats (store/index-stats.ts computes both from the files' metadata): each file's
// latest progress row (breakglass_files), the bad lines, and the entries with no time.
// Reads only those small tables and one count; never a line.
import type { FileMeta } from "../../store/format.js";
import { statsOfFiles, type IndexStats } from "../../store/index-stats.js";
import type { ClickhouseTarget } from "../backend-url.js";
import { connectServers, ensureSchema } from "./clickhouse-tables.js";
import { BAD_LINES_TABLE, ENTRIES_TABLE, FILES_TABLE, tableName } from "./clickhouse-schema.js";

export async function clickhouseStats(
  target: ClickhouseTarget,
  opts: { badLines: boolean },
): Promise<IndexStats> {
  const servers = await connectServers(target);
  try {
    await ensureSchema(servers, false);
    const t = (table: string): string => tableName(servers.names, table);
    const metas = await servers.main.rows<{ meta: string }>(
      `SELECT argMax(meta, version) AS meta FROM ${t(FILES_TABLE)} GROUP BY id ORDER BY id`,
    );
    const files = metas.map((r) => JSON.parse(r.meta) as FileMeta);
    const bad = opts.badLines
      ? await servers.main.rows<{ file: number; line: string; reason: string }>(
          `SELECT file_id AS file, line, reason FROM ${t(BAD_LINES_TABLE)} ` +
            `GROUP BY file, line, reason ORDER BY file, line`,
        )
      : [];
    const [noTime] = await servers.main.rows<{ n: string }>(
      `SELECT count() AS n FROM ${t(ENTRIES_TABLE)} WHERE isNull(time)`,
    );
    return statsOfFiles(
      files,
      bad.map((b) => ({ file: b.file, line: Number(b.line), reason: b.reason })),
      { noTime: Number(noTime?.n ?? 0), segments: 0, indexBytes: 0 },
      opts.badLines,
    );
  } finally {
    servers.close();
  }
}
