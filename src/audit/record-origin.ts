// Where a record came from: the file (or `listen` listener) and the `--device` label. These are
// not in the audit entry: they are the index's metadata about the file (store/format.ts FileMeta),
// carried to the entry under a symbol so the catalog's `source` and `device` fields read them like
// any derived value (derived-values.ts), at ingest (the parse worker gets the origin with its
// task) and at query time (the reader attaches the record's file's origin). A symbol key is
// invisible to JSON.stringify, Object.keys and for…in, so output and every other field are
// unchanged. Pure; safe in workers.

export interface RecordOrigin {
  /** The file's path when first indexed, or `listen ADDRESS` for a listener's records. */
  readonly source: string;
  /** The `--device` label, if one was given. */
  readonly device: string | undefined;
}

export const ORIGIN = Symbol("breakglass.origin");

/** The entry, now carrying `origin` (no-op for a non-object or an undefined origin). */
export function withOrigin<T>(entry: T, origin: RecordOrigin | undefined): T {
  if (origin !== undefined && typeof entry === "object" && entry !== null) {
    (entry as Record<symbol, unknown>)[ORIGIN] = origin;
  }
  return entry;
}

/** The origin an entry carries, if any. */
export function originOf(entry: unknown): RecordOrigin | undefined {
  if (typeof entry !== "object" || entry === null) return undefined;
  return (entry as Record<symbol, RecordOrigin | undefined>)[ORIGIN];
}

/** A file's origin from its index metadata (an index written before origins: its path). */
export function fileOrigin(file: {
  readonly path: string;
  readonly source?: string | undefined;
  readonly device?: string | undefined;
}): RecordOrigin {
  return { source: file.source ?? file.path, device: file.device };
}
