// Where a record came from: the file (or the `listen` endpoint and peer) and the `--device` label. These are
// not in the audit entry: they are the index's metadata about the file (store/format.ts FileMeta),
// carried to the entry under a symbol so the catalog's `source` and `device` fields read them like
// any derived value (derived-values.ts), at ingest (the parse worker gets the origin with its
// task) and at query time (the reader attaches the record's file's origin). A symbol key is
// invisible to JSON.stringify, Object.keys and for…in, so output and every other field are
// unchanged. Pure; safe in workers.

export interface RecordOrigin {
  /** The file's path when first indexed, or `ENDPOINT from PEER` for a listener's (listenSource). */
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

/** The peer of a unix-socket connection: the client's end of it has no address (it is unnamed). */
export const UNNAMED_PEER = "(unnamed)";

/**
 * The source of records received by `listen`: the endpoint they came in on, as a URL
 * (`tcp://127.0.0.1:8200`, `udp://[::1]:8200`, `unix:///run/vault-audit.sock`), then ` from `
 * and the peer that sent them (`127.0.0.1:53012`, or UNNAMED_PEER on a unix socket). The
 * endpoint comes first so `source ^= "tcp://127.0.0.1:8200"` finds all it received; README.md
 * documents the form (field `source`).
 */
export function listenSource(endpoint: string, peer: string): string {
  return `${endpoint} from ${peer}`;
}

/** `HOST:PORT`, an IPv6 host in brackets (`[::1]:8200`), as in a URL. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Whether a source is a listener's: listenSource's form, or `listen ADDRESS` (before peers). */
export function isListenSource(source: string | undefined): boolean {
  return source !== undefined && /^(?:(?:tcp|udp|unix):\/\/|listen )/.test(source);
}
