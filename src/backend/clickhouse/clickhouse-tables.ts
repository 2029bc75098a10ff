// The servers behind a ClickHouse target and the schema on them: finds a cluster's shards
// (system.clusters), creates the tables on every server that lacks them, and refuses a database
// whose schema is newer or not breakglass's (clickhouse-schema.ts has the tables, docs/clickhouse.md
// the reasons). Without ZooKeeper there is no `ON CLUSTER`: each server is reached over HTTP at
// its host from system.clusters and the URL's port.
import { InputError } from "../../errors.js";
import type { ClickhouseTarget } from "../backend-url.js";
import { ClickhouseHttp } from "./clickhouse-http.js";
import {
  createStatements,
  layoutOf,
  quoteName,
  SCHEMA_TABLE,
  SCHEMA_VERSION,
  type TableNames,
} from "./clickhouse-schema.js";

export interface ClickhouseServers {
  readonly names: TableNames;
  /** The server of the URL: every query and insert goes through it. */
  readonly main: ClickhouseHttp;
  /** Every server of the cluster (just `main` without one): where DDL and deletes run. */
  readonly all: readonly ClickhouseHttp[];
  close(): void;
}

/** The servers of a target: the URL's, and with `?cluster=` every host of the cluster. */
export async function connectServers(target: ClickhouseTarget): Promise<ClickhouseServers> {
  const names: TableNames = { database: target.database, cluster: target.cluster };
  const main = new ClickhouseHttp(target);
  let all: ClickhouseHttp[] = [main];
  if (target.cluster !== undefined) {
    // The cluster name is a plain name (backend-url.ts checks it), safe inside the literal.
    const hosts = await main.rows<{ host_name: string }>(
      `SELECT DISTINCT host_name FROM system.clusters WHERE cluster = '${target.cluster}'`,
    );
    if (hosts.length === 0) {
      main.close();
      throw new InputError(
        `ClickHouse at ${main.name} has no cluster ${target.cluster} (system.clusters)`,
        "name a cluster of the server's remote_servers, or drop ?cluster= for one server",
      );
    }
    all = hosts.map((h) => (h.host_name === target.host ? main : main.sibling(h.host_name)));
    if (!all.includes(main)) all.push(main);
  }
  return {
    names,
    main,
    all,
    close: () => {
      for (const s of new Set(all)) s.close();
    },
  };
}

interface SchemaRow {
  version: number;
  layout: string;
}

/** The schema row of one server, or undefined when it has no breakglass tables. */
async function readSchema(
  server: ClickhouseHttp,
  names: TableNames,
): Promise<SchemaRow[] | undefined> {
  const db = names.database;
  const exists = await server.rows<{ n: number | string }>(
    `SELECT count() AS n FROM system.tables WHERE database = '${db}' AND name = '${SCHEMA_TABLE}'`,
  );
  if (Number(exists[0]?.n ?? 0) === 0) return undefined;
  return server.rows<SchemaRow>(
    `SELECT version, layout FROM ${quoteName(db)}.${quoteName(SCHEMA_TABLE)}`,
  );
}

function checkSchema(server: ClickhouseHttp, names: TableNames, rows: readonly SchemaRow[]): void {
  const where = `${server.name} (${SCHEMA_TABLE})`;
  const versions = new Set(rows.map((r) => Number(r.version)));
  const newest = Math.max(...versions);
  if (rows.length === 0 || versions.size !== 1 || !Number.isInteger(newest) || newest < 1) {
    throw new InputError(
      `the breakglass schema at ${where} is not one this breakglass knows`,
      "load into another database, or drop these tables",
    );
  }
  if (newest > SCHEMA_VERSION) {
    throw new InputError(
      `the data at ${where} has schema version ${newest}, newer than this breakglass (${SCHEMA_VERSION})`,
      "upgrade breakglass",
    );
  }
  if (newest < SCHEMA_VERSION) {
    throw new InputError(
      `the data at ${where} has schema version ${newest}, older than this breakglass (${SCHEMA_VERSION})`,
      "load the logs again into a new database",
    );
  }
  const layout = layoutOf(names);
  const have = rows[0]!.layout;
  if (have !== layout) {
    throw new InputError(
      `the data at ${where} was loaded as ${have}, not ${layout}`,
      have.startsWith("cluster:")
        ? `add ?${have.replace(":", "=")} to the backend URL`
        : "drop ?cluster= from the backend URL",
    );
  }
}

/**
 * Make sure every server holds the current schema: create it where it is missing (`create`), and
 * refuse a database whose schema is another version or layout. Without `create`, a database with
 * no breakglass tables is an error that says to load first.
 */
export async function ensureSchema(servers: ClickhouseServers, create: boolean): Promise<void> {
  const { names } = servers;
  for (const server of servers.all) {
    const rows = await readSchema(server, names);
    if (rows !== undefined && rows.length > 0) {
      checkSchema(server, names, rows);
      continue;
    }
    if (!create) {
      throw new InputError(
        `no breakglass data in database ${names.database} at ${server.name}`,
        "load logs with `breakglass index --backend URL PATH…` first",
      );
    }
    for (const sql of createStatements(names)) await server.exec(sql);
    await server.exec(
      `INSERT INTO ${quoteName(names.database)}.${quoteName(SCHEMA_TABLE)} (version, layout)` +
        ` VALUES (${SCHEMA_VERSION}, '${layoutOf(names)}')`,
    );
  }
}
