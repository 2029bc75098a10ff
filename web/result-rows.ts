// What a streamed result line looks like in the table: an audit entry gets the columns a responder
// scans first (time, type, operation, path, client address, who, error); a stage row (`count by`,
// `fields`, `leases` …) gets its own keys as columns. Pure functions over plain JSON values.
import type { StreamedLine } from "./api-client.js";

export const RECORD_COLUMNS = [
  "time",
  "type",
  "op",
  "path",
  "ip",
  "display_name",
  "error",
] as const;

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

/** An audit entry has a string `type` and a request, response or auth object. */
export function isAuditEntry(v: unknown): v is Json {
  const o = obj(v);
  return (
    !!o && typeof o.type === "string" && (!!obj(o.request) || !!obj(o.response) || !!obj(o.auth))
  );
}

function text(v: unknown): string {
  if (v === undefined || v === null) return "";
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** The record columns of one audit entry. */
export function recordCells(entry: Json): string[] {
  const request = obj(entry.request) ?? {};
  const auth = obj(entry.auth) ?? {};
  return [
    text(entry.time),
    text(entry.type),
    text(request.operation),
    text(request.path),
    text(request.remote_address),
    text(auth.display_name),
    text(entry.error),
  ];
}

/** The columns of a result: the record columns, or the union of the stage rows' keys. */
export function resultColumns(lines: readonly StreamedLine[]): string[] {
  const first = lines[0];
  if (!first || isAuditEntry(first.value)) return [...RECORD_COLUMNS];
  const keys = new Set<string>();
  for (const l of lines.slice(0, 100)) {
    const o = obj(l.value);
    if (o) for (const k of Object.keys(o)) keys.add(k);
    else keys.add("value");
  }
  return [...keys];
}

/** One row's cells under `columns`. */
export function rowCells(line: StreamedLine, columns: readonly string[]): string[] {
  if (isAuditEntry(line.value)) return recordCells(line.value);
  const o = obj(line.value);
  return columns.map((c) => (o ? text(o[c]) : text(line.value)));
}
