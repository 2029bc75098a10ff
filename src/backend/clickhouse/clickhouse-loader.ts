// `breakglass index --backend clickhouse://…`: the local `index` pipeline (ingest/index-files.ts:
// the same file identity, resuming, framings, workers and bad lines) with ClickHouse as the
// ChunkSink. Each chunk is one RowBinary INSERT of its rows, then its bad lines, then the file's
// progress row, in that order; a load that starts deletes whatever a crashed one inserted past
// the recorded progress, so a rerun ends with exactly the rows of an uninterrupted load
// (docs/clickhouse.md, "Loading"). One load per database at a time.
import path from "node:path";
import fs from "node:fs";
import { InputError } from "../../errors.js";
import { expandSources } from "../../ingest/expand-sources.js";
import {
  Indexer,
  type ChunkSink,
  type IndexOptions,
  type IndexSummary,
} from "../../ingest/index-files.js";
import type { ParseResult, RowContext } from "../../ingest/worker-protocol.js";
import type { FileMeta } from "../../store/format.js";
import type { ClickhouseTarget } from "../backend-url.js";
import type { ClickhouseHttp, Settings } from "./clickhouse-http.js";
import {
  BAD_LINES_TABLE,
  ENTRIES_TABLE,
  FILES_TABLE,
  insertEntriesSql,
  storedTableName,
  tableName,
  type TableNames,
} from "./clickhouse-schema.js";
import { connectServers, ensureSchema, type ClickhouseServers } from "./clickhouse-tables.js";
import { patchRowHeads, RowBinaryWriter } from "./entry-rows.js";

const ROW_WORKER = "backend/clickhouse/row-worker.js";
/** How long a load waits for the deletion of a crashed load's rows (a mutation) to finish. */
const MUTATION_TIMEOUT_MS = 10 * 60_000;
const MUTATION_POLL_MS = 100;

/**
 * A cluster insert returns once every shard has its rows (not queued on the first server).
 * Releases after 18.16 refuse an insert that spans over 100 partitions (months) unless told not
 * to: a chunk of a log with stray times may, and its rows must still go in.
 */
function insertSettings(names: TableNames, partitionLimit: boolean): Settings {
  return {
    ...(names.cluster === undefined ? {} : { insert_distributed_sync: 1 }),
    ...(partitionLimit ? { max_partitions_per_insert_block: 0 } : {}),
  };
}

interface FileRow {
  meta: string;
}

/** ClickHouse as the place an indexing run commits to. */
export class ClickhouseSink implements ChunkSink {
  private readonly files = new Map<number, FileMeta>();
  private nextFileId = 1;
  private nextOrd = 0;
  private lastVersion = 0;
  private settings: Settings = {};

  private constructor(private readonly servers: ClickhouseServers) {}

  /** Open the store for loading: the schema made or checked, a crashed load's rows removed. */
  static async open(servers: ClickhouseServers): Promise<ClickhouseSink> {
    await ensureSchema(servers, true);
    const sink = new ClickhouseSink(servers);
    const [limit] = await servers.main.rows<{ n: string }>(
      `SELECT count() AS n FROM system.settings WHERE name = 'max_partitions_per_insert_block'`,
    );
    sink.settings = insertSettings(servers.names, Number(limit?.n ?? 0) > 0);
    await sink.readState();
    await sink.removeUncommitted();
    return sink;
  }

  private get names(): TableNames {
    return this.servers.names;
  }

  private get main(): ClickhouseHttp {
    return this.servers.main;
  }

  private async readState(): Promise<void> {
    const files = tableName(this.names, FILES_TABLE);
    const rows = await this.main.rows<FileRow>(
      `SELECT argMax(meta, version) AS meta FROM ${files} GROUP BY id`,
    );
    for (const r of rows) {
      const meta = JSON.parse(r.meta) as FileMeta;
      this.files.set(meta.id, meta);
      this.nextFileId = Math.max(this.nextFileId, meta.id + 1);
    }
    const [v] = await this.main.rows<{ n: string; v: string }>(
      `SELECT count() AS n, max(version) AS v FROM ${files}`,
    );
    this.lastVersion = Number(v?.n ?? 0) > 0 ? Number(v!.v) : 0;
    const [o] = await this.main.rows<{ n: string; o: string }>(
      `SELECT count() AS n, max(ord) AS o FROM ${tableName(this.names, ENTRIES_TABLE)}`,
    );
    this.nextOrd = Number(o?.n ?? 0) > 0 ? Number(o!.o) + 1 : 0;
  }

  /**
   * The condition of rows a crashed load left past the recorded progress: entries at or past a
   * file's record count, bad lines past its lines done, anything of a file with no progress.
   */
  private uncommitted(): { entries: string; bad: string } {
    const known = [...this.files.values()];
    if (known.length === 0) return { entries: "1", bad: "1" };
    const ids = `CAST([${known.map((f) => f.id).join(",")}] AS Array(UInt32))`;
    const records = `CAST([${known.map((f) => f.records).join(",")}] AS Array(UInt64))`;
    const lines = `CAST([${known.map((f) => f.doneLines).join(",")}] AS Array(UInt64))`;
    return {
      entries: `seq >= transform(file_id, ${ids}, ${records}, toUInt64(0))`,
      bad: `line > transform(file_id, ${ids}, ${lines}, toUInt64(0))`,
    };
  }

  private async removeUncommitted(): Promise<void> {
    const where = this.uncommitted();
    const tables = [
      { table: ENTRIES_TABLE, where: where.entries },
      { table: BAD_LINES_TABLE, where: where.bad },
    ];
    for (const { table, where: cond } of tables) {
      const [c] = await this.main.rows<{ n: string }>(
        `SELECT count() AS n FROM ${tableName(this.names, table)} WHERE ${cond}`,
      );
      if (Number(c?.n ?? 0) === 0) continue;
      for (const server of this.servers.all) {
        await server.exec(`ALTER TABLE ${storedTableName(this.names, table)} DELETE WHERE ${cond}`);
      }
      for (const server of this.servers.all) await this.waitForMutations(server, table);
    }
  }

  private async waitForMutations(server: ClickhouseHttp, table: string): Promise<void> {
    const stored = this.names.cluster === undefined ? table : `${table}_local`;
    const deadline = Date.now() + MUTATION_TIMEOUT_MS;
    for (;;) {
      const [r] = await server.rows<{ n: string }>(
        `SELECT count() AS n FROM system.mutations WHERE database = '${this.names.database}'` +
          ` AND table = '${stored}' AND is_done = 0`,
      );
      if (Number(r?.n ?? 0) === 0) return;
      if (Date.now() > deadline) {
        throw new InputError(
          `ClickHouse at ${server.name} did not finish deleting a crashed load's rows in time`,
          "see system.mutations there, then run the load again",
        );
      }
      await new Promise((r) => setTimeout(r, MUTATION_POLL_MS));
    }
  }

  async knownFiles(): Promise<readonly FileMeta[]> {
    return [...this.files.values()];
  }

  allocateFileId(): number {
    return this.nextFileId++;
  }

  rowContext(file: FileMeta): RowContext {
    return { fileId: file.id, source: file.source ?? file.path, device: file.device ?? "" };
  }

  async commitChunk(file: FileMeta, firstLine: number, result: ParseResult): Promise<void> {
    const { meta, bytes } = result;
    const rows = meta.rows;
    if (rows !== undefined && meta.records > 0) {
      const data = Buffer.from(bytes.buffer, bytes.byteOffset + rows.data[0], rows.data[1]);
      const startsBytes = Buffer.from(
        bytes.buffer,
        bytes.byteOffset + rows.starts[0],
        rows.starts[1],
      );
      const starts: number[] = [];
      for (let at = 0; at < startsBytes.length; at += 4) starts.push(startsBytes.readUInt32LE(at));
      // `file` already counts this chunk: its records start at file.records - meta.records.
      patchRowHeads(data, starts, file.records - meta.records, this.nextOrd);
      await this.main.insert(insertEntriesSql(this.names), data, this.settings);
      this.nextOrd += meta.records;
    } else if (meta.records > 0) {
      throw new Error("a parse result without rows reached the ClickHouse sink");
    }
    if (meta.bad.length > 0) {
      const w = new RowBinaryWriter();
      for (const b of meta.bad) {
        w.u32(file.id);
        w.i64(BigInt(firstLine + b.line));
        w.string(b.reason);
      }
      await this.main.insert(
        `INSERT INTO ${tableName(this.names, BAD_LINES_TABLE)} (file_id, line, reason) FORMAT RowBinary`,
        w.view(),
        this.settings,
      );
    }
    await this.putFile(file);
  }

  async putFile(file: FileMeta): Promise<void> {
    // Versions only grow: the clock's microseconds, or one past the last when the clock is behind.
    this.lastVersion = Math.max(this.lastVersion + 1, Date.now() * 1000);
    const w = new RowBinaryWriter();
    w.u32(file.id);
    w.i64(BigInt(this.lastVersion));
    w.string(file.path);
    w.i64(BigInt(file.records));
    w.i64(BigInt(file.badLines));
    w.i64(BigInt(file.doneBytes));
    w.string(JSON.stringify(file));
    await this.main.insert(
      `INSERT INTO ${tableName(this.names, FILES_TABLE)}` +
        ` (id, version, path, records, bad_lines, done_bytes, meta) FORMAT RowBinary`,
      w.view(),
      this.settings,
    );
    this.files.set(file.id, file);
  }
}

/** What `index --backend URL PATH…` does: expand the paths, load them, summarise the run. */
export async function loadIntoClickhouse(
  target: ClickhouseTarget,
  args: readonly string[],
  opts: IndexOptions = {},
): Promise<IndexSummary> {
  const sources = expandSources(args);
  const named = new Set(args.filter((a) => isFile(a)).map((a) => path.resolve(a)));
  const throughDirectory = new Set(sources.files.filter((p) => !named.has(p)));
  const servers = await connectServers(target);
  try {
    const sink = await ClickhouseSink.open(servers);
    const indexer = Indexer.forSink(servers.main.name, sink, ROW_WORKER, {
      workers: opts.workers,
      maxLineBytes: opts.maxLineBytes,
    });
    try {
      const summary = await indexer.indexPaths(sources.files, { ...opts, throughDirectory });
      return {
        ...summary,
        fileErrors: [...sources.problems, ...summary.fileErrors],
        notes: sources.notes,
      };
    } finally {
      await indexer.close();
    }
  } finally {
    servers.close();
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
