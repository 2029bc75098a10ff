// The ClickHouse schema breakglass creates and loads (docs/clickhouse.md explains every choice):
// which tables, which columns, their types and order, derived from the field catalog so a new
// field is a new column with no other change here. Pure data and SQL text; no I/O.
//
// Version SCHEMA_VERSION is written to breakglass_schema when the tables are made; a database
// holding another version (or a schema row that is not ours) is refused (clickhouse-tables.ts).
// The SQL is accepted by ClickHouse 18.16 (Debian's package, tested) and by current releases:
// MergeTree with ORDER BY / PARTITION BY clauses, Distributed, no column codecs, no IPv6 or
// DateTime64 types, no `Nullable` in keys.
import { fieldByName, FIELDS, type FieldKind, type FieldSpec } from "../../audit/field-catalog.js";

export const SCHEMA_VERSION = 1;

/** Table names (the database is the URL's). In a cluster, *_local tables hold each shard's part. */
export const ENTRIES_TABLE = "breakglass_entries";
export const FILES_TABLE = "breakglass_files";
export const BAD_LINES_TABLE = "breakglass_bad_lines";
export const SCHEMA_TABLE = "breakglass_schema";
export const LOCAL_SUFFIX = "_local";

/** How a column is written in RowBinary (entry-rows.ts) and compared in SQL. */
export type ColumnType =
  | "UInt32"
  | "UInt64"
  | "Date"
  | "String"
  | "Nullable(Int64)"
  | "Array(String)"
  | "Array(Float64)"
  | "Array(FixedString(16))";

export interface EntryColumn {
  readonly name: string;
  readonly type: ColumnType;
  /** The catalog field the column holds, when it is one. */
  readonly field?: FieldSpec | undefined;
  /** True when the column is an Array: every value of a field that can have several. */
  readonly multi: boolean;
  readonly comment: string;
}

/**
 * Whether a field can hold several values in one entry: read at several paths, at a path through
 * an array (`[]`) or an object's values (`*`), or derived beside a path (`ip`: remote_address and
 * the last X-Forwarded-For address), or derived as a list (every HMAC, every XFF address).
 * `time` is one value: an entry has one time.
 */
export function isMultiValued(spec: FieldSpec): boolean {
  if (spec.kind === "time") return false;
  if (spec.kind !== "text") return true; // hmac lists, ip and number read at several places
  if (spec.derived === "everyHmac" || spec.derived === "everyForwardedFor") return true;
  const sources = spec.paths.length + (spec.derived ? 1 : 0);
  return sources !== 1 || spec.paths.some((p) => p.includes("[]") || p.includes("*"));
}

function fieldType(kind: FieldKind, multi: boolean): ColumnType {
  switch (kind) {
    case "time":
      return "Nullable(Int64)";
    case "ip":
      return "Array(FixedString(16))";
    case "number":
      return "Array(Float64)";
    case "hmac":
      return "Array(String)";
    case "text":
      return multi ? "Array(String)" : "String";
  }
}

/** The columns every row has before the fields, in RowBinary order. seq and ord come first. */
const HEAD_COLUMNS: readonly EntryColumn[] = [
  {
    name: "seq",
    type: "UInt64",
    multi: false,
    comment: "the record's number within its file, from 0 (identity with file_id)",
  },
  {
    name: "ord",
    type: "UInt64",
    multi: false,
    comment: "global order of indexing: ORDER BY ord lists records as the local index does",
  },
  { name: "file_id", type: "UInt32", multi: false, comment: "breakglass_files.id" },
  {
    name: "day",
    type: "Date",
    multi: false,
    comment: "UTC day of the entry's time (1970-01-01 when it has none): the partition",
  },
  // Fields `source` and `device` come from the file record, not the entry: written from the
  // row's file (RowContext), not from the entry's values.
  {
    name: "source",
    type: "String",
    field: fieldByName("source"),
    multi: false,
    comment: "the file the record came from",
  },
  {
    name: "device",
    type: "String",
    field: fieldByName("device"),
    multi: false,
    comment: "the --device label ('' when none)",
  },
  {
    name: "line",
    type: "String",
    multi: false,
    comment: "the original record, byte for byte (without line ending or device prefix)",
  },
];

export const ENTRY_COLUMNS: readonly EntryColumn[] = [
  ...HEAD_COLUMNS,
  ...FIELDS.filter((field) => !HEAD_COLUMNS.some((c) => c.field === field)).map(
    (field): EntryColumn => {
      const multi = isMultiValued(field);
      return {
        name: field.name,
        type: fieldType(field.kind, multi),
        field,
        multi,
        comment:
          field.kind === "time"
            ? "nanoseconds since 1970-01-01T00:00:00Z; NULL when the entry has no time"
            : field.kind === "ip"
              ? "16-byte addresses, IPv4 as ::ffff:a.b.c.d, so a CIDR is a range"
              : field.description,
      };
    },
  ),
];

/** The column of a catalog field. */
export function columnOf(fieldName: string): EntryColumn | undefined {
  return ENTRY_COLUMNS.find((c) => c.field?.name === fieldName);
}

/** A column or table name quoted for SQL (ours only: letters, digits, `_`). */
export function quoteName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a SQL name: ${name}`);
  return "`" + name + "`";
}

function columnsSql(columns: readonly { name: string; type: string }[]): string {
  return columns.map((c) => `  ${quoteName(c.name)} ${c.type}`).join(",\n");
}

/** The sharding key: a request and its response (same request.id) land on the same shard. */
export const SHARDING_KEY = "cityHash64(request_id)";

export interface TableNames {
  readonly database: string;
  /** Set when the URL names a cluster: the data lives in *_local tables on every shard. */
  readonly cluster: string | undefined;
}

function qualified(db: string, table: string): string {
  return `${quoteName(db)}.${quoteName(table)}`;
}

/** Where rows are stored on one server: the table itself, or its *_local part in a cluster. */
function storedTable(names: TableNames, table: string): string {
  return names.cluster === undefined ? table : table + LOCAL_SUFFIX;
}

const FILES_COLUMNS = [
  { name: "id", type: "UInt32" },
  { name: "version", type: "UInt64" },
  { name: "path", type: "String" },
  { name: "records", type: "UInt64" },
  { name: "bad_lines", type: "UInt64" },
  { name: "done_bytes", type: "UInt64" },
  { name: "meta", type: "String" },
];

const BAD_LINES_COLUMNS = [
  { name: "file_id", type: "UInt32" },
  { name: "line", type: "UInt64" },
  { name: "reason", type: "String" },
];

const SCHEMA_COLUMNS = [
  { name: "version", type: "UInt32" },
  { name: "layout", type: "String" },
];

/** What the schema row says of the tables' layout: `single`, or `cluster:NAME`. */
export function layoutOf(names: TableNames): string {
  return names.cluster === undefined ? "single" : `cluster:${names.cluster}`;
}

/**
 * The statements that create the schema on ONE server (run on every shard of a cluster: without
 * ZooKeeper there is no `ON CLUSTER`). All `IF NOT EXISTS`: running them again changes nothing.
 */
export function createStatements(names: TableNames): string[] {
  const db = names.database;
  const entries = storedTable(names, ENTRIES_TABLE);
  const files = storedTable(names, FILES_TABLE);
  const bad = storedTable(names, BAD_LINES_TABLE);
  const out = [
    `CREATE DATABASE IF NOT EXISTS ${quoteName(db)}`,
    // ReplacingMergeTree(ord) keyed by (file_id, seq): a record loaded twice (a batch sent again
    // after a crash, before its rows were deleted) is one row once parts merge.
    `CREATE TABLE IF NOT EXISTS ${qualified(db, entries)} (\n${columnsSql(ENTRY_COLUMNS)}\n)` +
      ` ENGINE = ReplacingMergeTree(ord) PARTITION BY toYYYYMM(day) ORDER BY (file_id, seq)`,
    `CREATE TABLE IF NOT EXISTS ${qualified(db, files)} (\n${columnsSql(FILES_COLUMNS)}\n)` +
      ` ENGINE = ReplacingMergeTree(version) ORDER BY id`,
    `CREATE TABLE IF NOT EXISTS ${qualified(db, bad)} (\n${columnsSql(BAD_LINES_COLUMNS)}\n)` +
      ` ENGINE = ReplacingMergeTree ORDER BY (file_id, line)`,
    `CREATE TABLE IF NOT EXISTS ${qualified(db, SCHEMA_TABLE)} (\n${columnsSql(SCHEMA_COLUMNS)}\n)` +
      ` ENGINE = TinyLog`,
  ];
  if (names.cluster !== undefined) {
    const cluster = quoteName(names.cluster);
    const distributed = (table: string, columns: string, key: string): string =>
      `CREATE TABLE IF NOT EXISTS ${qualified(db, table)} (\n${columns}\n)` +
      ` ENGINE = Distributed(${cluster}, ${quoteName(db)}, ${quoteName(table + LOCAL_SUFFIX)}, ${key})`;
    out.push(
      distributed(ENTRIES_TABLE, columnsSql(ENTRY_COLUMNS), SHARDING_KEY),
      distributed(FILES_TABLE, columnsSql(FILES_COLUMNS), "id"),
      distributed(BAD_LINES_TABLE, columnsSql(BAD_LINES_COLUMNS), "file_id"),
    );
  }
  return out;
}

/** The RowBinary insert of entries (through the Distributed table in a cluster). */
export function insertEntriesSql(names: TableNames): string {
  const cols = ENTRY_COLUMNS.map((c) => quoteName(c.name)).join(", ");
  return `INSERT INTO ${qualified(names.database, ENTRIES_TABLE)} (${cols}) FORMAT RowBinary`;
}

/** The table rows are deleted from on one server (a Distributed table cannot be altered). */
export function storedTableName(names: TableNames, table: string): string {
  return qualified(names.database, storedTable(names, table));
}

export function tableName(names: TableNames, table: string): string {
  return qualified(names.database, table);
}
