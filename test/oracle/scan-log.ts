// The test oracle for indexing: what an index of some log files must hold, computed the dumbest
// way that is obviously right, and independently of src/ (it never imports src/audit or
// src/ingest, so a shared bug cannot make both sides agree). Whole files are read into memory,
// split at "\n" and handed to JSON.parse; each SPEC field is read by name with plain property
// access. Fine for test-sized logs, not for gigabytes.
//
// Lines are split on bytes rather than with readline: readline also breaks at a lone "\r" and
// decodes invalid UTF-8 to U+FFFD, and both would hide exactly the bad lines being tested.
//
// What it answers, per SPEC.md ("The audit log", "The query language"):
// - records: every non-blank line that is a JSON object with a non-empty string `type`, after an
//   optional device prefix; its text as stored is the line without the prefix and without the
//   line ending or trailing blanks;
// - bad lines: every other non-blank line, by 1-based line number in its file;
// - postings: for each field of SPEC's table, value → the texts of the records holding it (one
//   item per record, so duplicates in the log stay visible);
// - times: entries whose `time` is missing or not RFC 3339 have none (`noTime` counts them).
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { gunzipSync } from "node:zlib";

export interface OracleRecord {
  readonly file: string;
  /** The `--device` label the file is indexed with, if any. */
  readonly device?: string | undefined;
  readonly lineNo: number;
  readonly text: string;
}

export interface OracleBadLine {
  readonly file: string;
  readonly lineNo: number;
}

export interface LogScan {
  readonly records: readonly OracleRecord[];
  readonly badLines: readonly OracleBadLine[];
  /** field → value → texts of the records with that value (insertion order = log order). */
  readonly postings: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
  /** Earliest and latest `time`, as nanoseconds since the epoch (undefined: no entry had one). */
  readonly firstTimeNs: bigint | undefined;
  readonly lastTimeNs: bigint | undefined;
  /** Records whose `time` is missing or not RFC 3339. */
  readonly noTime: number;
}

export interface ScanOptions {
  /** A device prefix every line starts with (as `index --prefix`, or what auto-detection finds). */
  readonly prefix?: string;
  /** The `--device` label the files are indexed with (field `device`). */
  readonly device?: string;
}

/**
 * Where an entry came from: `source` (the file's absolute path) and `device` are not in the
 * entry, they are what the index knows of its file, so the oracle keeps them beside the parsed
 * object.
 */
const ORIGINS = new WeakMap<object, { source: string; device: string | undefined }>();

/** The parsed entry `entry` of a line of `file` (indexed with `device`), origin noted. */
export function withOracleOrigin(entry: Json, file: string, device: string | undefined): Json {
  if (typeof entry === "object" && entry !== null) {
    ORIGINS.set(entry, { source: path.resolve(file), device });
  }
  return entry;
}

function originOf(entry: Json): { source: string; device: string | undefined } | undefined {
  return typeof entry === "object" && entry !== null ? ORIGINS.get(entry) : undefined;
}

type Json = unknown;
type Path = readonly string[];

/**
 * The fields of SPEC's table that are read at plain paths, written out again by hand (a trailing
 * array gives its items). The others are computed below (SPECIAL_FIELDS).
 */
export const ORACLE_FIELDS: Readonly<Record<string, readonly Path[]>> = {
  path: [["request", "path"]],
  role: [
    ["auth", "metadata", "role_name"],
    ["response", "auth", "metadata", "role_name"],
    ["auth", "metadata", "role"],
    ["response", "auth", "metadata", "role"],
  ],
  lease: [["response", "secret", "lease_id"]],
  token: [
    ["auth", "client_token"],
    ["request", "client_token"],
  ],
  accessor: [
    ["auth", "accessor"],
    ["request", "client_token_accessor"],
  ],
  type: [["type"]],
  op: [["request", "operation"]],
  error: [["error"]],
  request_id: [["request", "id"]],
  entity: [["auth", "entity_id"]],
  display_name: [["auth", "display_name"]],
  mount_type: [["request", "mount_type"]],
  namespace_id: [["request", "namespace", "id"]],
  user_agent: [["request", "headers", "user-agent"]],
  correlation_id: [
    ["request", "headers", "correlation-id"],
    ["request", "headers", "x-correlation-id"],
    ["request", "headers", "x-request-id"],
  ],
  forwarded_from: [["forwarded_from"]],
  mount_point: [["request", "mount_point"]],
  mount_accessor: [["request", "mount_accessor"]],
  client_cert: [["request", "client_certificate_serial_number"]],
  token_type: [["auth", "token_type"]],
  allowed: [["auth", "policy_results", "allowed"]],
};

/** Fields whose values are addresses (anything else in their place is no value). */
export const ADDRESS_FIELDS: ReadonlySet<string> = new Set(["ip", "xff"]);
/** Fields whose values are numbers. */
export const NUMBER_FIELDS: ReadonlySet<string> = new Set(["port"]);

const HMAC_PREFIX = "hmac-sha256:";
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function at(entry: Json, path: Path): Json {
  let node = entry;
  for (const key of path) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** The texts at a path: strings, numbers and booleans (as JSON writes them); an array there gives
 * its items; empty strings are no value. */
function textsAt(entry: Json, path: Path): string[] {
  const v = at(entry, path);
  const items = Array.isArray(v) ? v : [v];
  return items
    .map((x) => (typeof x === "number" || typeof x === "boolean" ? String(x) : x))
    .filter((x): x is string => typeof x === "string" && x !== "");
}

/** `10.0.0.5:5696` → `10.0.0.5`, `[2001:db8::1]:443` → `2001:db8::1`; IPv6 in RFC 5952 form. */
export function oracleIp(text: string): string | undefined {
  let t = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(t);
  if (bracketed) t = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(t)) t = t.slice(0, t.indexOf(":"));
  if (net.isIPv4(t)) return t;
  if (net.isIPv6(t)) return new URL(`http://[${t}]/`).hostname.slice(1, -1);
  return undefined;
}

/** The audited X-Forwarded-For list, left (client) to right (the proxy before Vault). */
function forwardedFor(entry: Json): string[] {
  const header = at(entry, ["request", "headers", "x-forwarded-for"]);
  const values = (Array.isArray(header) ? header : [header]).filter(
    (v): v is string => typeof v === "string",
  );
  return values
    .join(",")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

/** `secret/data/app1/db` → `secret/app1/db` (KV v2 operation segments dropped), else undefined. */
function kvPathOf(entry: Json): string | undefined {
  const path = at(entry, ["request", "path"]);
  const mountType = at(entry, ["request", "mount_type"]);
  const mountPoint = at(entry, ["request", "mount_point"]);
  if (typeof path !== "string") return undefined;
  if (typeof mountType === "string" && mountType !== "" && mountType !== "kv") return undefined;
  let mount: string;
  let rest: string;
  if (typeof mountPoint === "string" && mountPoint !== "") {
    mount = mountPoint.replace(/\/$/, "");
    if (!path.startsWith(`${mount}/`)) return undefined;
    rest = path.slice(mount.length + 1);
  } else {
    const m = /^([^/]+)\/(.*)$/.exec(path);
    if (!m) return undefined;
    [, mount, rest] = m as unknown as [string, string, string];
  }
  const op = /^(data|metadata|delete|undelete|destroy)(?:\/(.*))?$/.exec(rest);
  if (!op) return undefined;
  const secret = (op[2] ?? "").replace(/\/+$/, "");
  return secret === "" ? mount : `${mount}/${secret}`;
}

/** Fields computed from the entry rather than read at plain paths (texts as written). */
const SPECIAL_FIELDS: Readonly<Record<string, (entry: Json) => string[]>> = {
  ip: (e) => {
    const xff = forwardedFor(e);
    const last = xff[xff.length - 1];
    return [...textsAt(e, ["request", "remote_address"]), ...(last === undefined ? [] : [last])];
  },
  xff: forwardedFor,
  hmac: (e) => hmacsOf(e, []),
  time: (e) => textsAt(e, ["time"]),
  source: (e) => {
    const o = originOf(e);
    return o === undefined ? [] : [o.source];
  },
  device: (e) => {
    const device = originOf(e)?.device;
    return device === undefined || device === "" ? [] : [device];
  },
  policy: (e) => {
    const ext = at(e, ["auth", "external_namespace_policies"]);
    const extPolicies = isObject(ext)
      ? Object.values(ext).flatMap((v) => (Array.isArray(v) ? v : [v]))
      : [];
    return [
      ...textsAt(e, ["auth", "policies"]),
      ...textsAt(e, ["auth", "token_policies"]),
      ...textsAt(e, ["auth", "identity_policies"]),
      ...extPolicies.filter((p): p is string => typeof p === "string" && p !== ""),
    ];
  },
  namespace: (e) => {
    const ns = at(e, ["request", "namespace"]);
    const path = isObject(ns) ? ns.path : undefined;
    if (typeof path === "string" && path !== "") return [path];
    const isRoot =
      isObject(ns) && ns.id === "root" && (path === undefined || path === null || path === "");
    return isRoot ? ["root"] : [];
  },
  port: (e) => {
    const out = textsAt(e, ["request", "remote_port"]);
    const address = at(e, ["request", "remote_address"]);
    const m = typeof address === "string" ? /^(?:\[[^\]]*\]|[^:]*):(\d+)$/.exec(address) : null;
    if (m) out.push(m[1]!);
    return out;
  },
  outcome: (e) => {
    const error = at(e, ["error"]);
    return [error === undefined || error === null || error === "" ? "success" : "error"];
  },
  granted_by: (e) => {
    const granting = at(e, ["auth", "policy_results", "granting_policies"]);
    return (Array.isArray(granting) ? granting : [])
      .map((g) => (isObject(g) ? g.name : undefined))
      .filter((n): n is string => typeof n === "string" && n !== "");
  },
  kv_path: (e) => {
    const p = kvPathOf(e);
    return p === undefined ? [] : [p];
  },
};

/** Every catalog field the oracle knows (what SPEC's table lists). */
export const ORACLE_CATALOG: readonly string[] = [
  ...Object.keys(SPECIAL_FIELDS),
  ...Object.keys(ORACLE_FIELDS),
];

/** Every field the oracle computes postings for (time is checked as a span instead). */
export const ORACLE_FIELD_NAMES: readonly string[] = ORACLE_CATALOG.filter((f) => f !== "time");

/**
 * A field's values in an entry as text, in entry order (may repeat; ip and xff as written, port
 * and all): only texts that are values of the field (an address for ip and xff, a number for port,
 * an RFC 3339 time for time).
 */
export function oracleTexts(entry: Json, field: string): string[] {
  const special = SPECIAL_FIELDS[field];
  const paths = ORACLE_FIELDS[field];
  if (!special && !paths) throw new Error(`the oracle does not know field ${field}`);
  const texts = special ? special(entry) : paths!.flatMap((p) => textsAt(entry, p));
  if (ADDRESS_FIELDS.has(field)) return texts.filter((t) => oracleIp(t) !== undefined);
  if (NUMBER_FIELDS.has(field)) {
    return texts.filter((t) => /^-?\d+(\.\d+)?$/.test(t)).map((t) => String(Number(t)));
  }
  if (field === "time") return texts.filter((t) => rfc3339Nanos(t) !== undefined);
  return texts;
}

/** Every `hmac-sha256:` string anywhere in `node`, in document order, appended to `out`. */
export function hmacsOf(node: Json, out: string[]): string[] {
  if (typeof node === "string") {
    if (node.startsWith(HMAC_PREFIX)) out.push(node);
  } else if (Array.isArray(node)) {
    for (const item of node) hmacsOf(item, out);
  } else if (isObject(node)) {
    for (const value of Object.values(node)) hmacsOf(value, out);
  }
  return out;
}

/** The values of one field in an entry as postings key them (deduplicated: postings hold a
 * record once per value; addresses in their canonical form). */
export function oracleFieldValues(entry: Json, field: string): Set<string> {
  const texts = oracleTexts(entry, field);
  return new Set(ADDRESS_FIELDS.has(field) ? texts.map((t) => oracleIp(t)!) : texts);
}

/** RFC 3339 → nanoseconds since the epoch, exactly (Date.parse would drop the nanoseconds). */
export function rfc3339Nanos(text: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(m[1]! + m[3]!.toUpperCase());
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

/** A log file's content: gzip (by magic number) is decompressed. */
export function readLogContent(file: string): Buffer {
  const raw = readFileSync(file);
  return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
}

/** The lines of some content, 1-based, without "\n" (a final newline does not start a line). */
export function* contentLines(content: Buffer): Generator<{ lineNo: number; bytes: Buffer }> {
  let start = 0;
  let lineNo = 1;
  while (start < content.length) {
    let nl = content.indexOf(0x0a, start);
    if (nl < 0) nl = content.length;
    yield { lineNo, bytes: content.subarray(start, nl) };
    start = nl + 1;
    lineNo++;
  }
}

/** The entry a line holds after the prefix, or undefined when the line is not an audit entry. */
function entryOf(line: string, prefix: string): { text: string; entry: Json } | undefined {
  if (!line.startsWith(prefix)) return undefined;
  const text = line.slice(prefix.length);
  let entry: Json;
  try {
    entry = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(entry) || typeof entry.type !== "string" || entry.type === "") return undefined;
  // Strict: an entry has a request, a response or an auth (other objects are a server's log).
  if (entry.request === undefined && entry.response === undefined && entry.auth === undefined) {
    return undefined;
  }
  return { text, entry };
}

export function scanLogs(files: readonly string[], opts: ScanOptions = {}): LogScan {
  const records: OracleRecord[] = [];
  const badLines: OracleBadLine[] = [];
  const postings = new Map<string, Map<string, string[]>>(
    ORACLE_FIELD_NAMES.map((f) => [f, new Map()]),
  );
  let noTime = 0;
  let firstTimeNs: bigint | undefined;
  let lastTimeNs: bigint | undefined;
  for (const file of files) {
    for (const { lineNo, bytes } of contentLines(readLogContent(file))) {
      let line: string;
      try {
        line = strictUtf8.decode(bytes);
      } catch {
        badLines.push({ file, lineNo });
        continue;
      }
      line = line.replace(/[\r \t]+$/, "");
      if (line.trim() === "") continue;
      const parsed = entryOf(line, opts.prefix ?? "");
      if (!parsed) {
        badLines.push({ file, lineNo });
        continue;
      }
      withOracleOrigin(parsed.entry, file, opts.device);
      records.push({ file, lineNo, text: parsed.text, device: opts.device });
      for (const [field, byValue] of postings) {
        for (const value of oracleFieldValues(parsed.entry, field)) {
          const texts = byValue.get(value);
          if (texts) texts.push(parsed.text);
          else byValue.set(value, [parsed.text]);
        }
      }
      const time = at(parsed.entry, ["time"]);
      const ns = typeof time === "string" ? rfc3339Nanos(time) : undefined;
      if (ns !== undefined) {
        if (firstTimeNs === undefined || ns < firstTimeNs) firstTimeNs = ns;
        if (lastTimeNs === undefined || ns > lastTimeNs) lastTimeNs = ns;
      } else {
        noTime++;
      }
    }
  }
  return { records, badLines, postings, firstTimeNs, lastTimeNs, noTime };
}
