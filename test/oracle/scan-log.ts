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
//   item per record, so duplicates in the log stay visible).
import { readFileSync } from "node:fs";
import net from "node:net";
import { gunzipSync } from "node:zlib";

export interface OracleRecord {
  readonly file: string;
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
}

export interface ScanOptions {
  /** A device prefix every line starts with (as `index --prefix`, or what auto-detection finds). */
  readonly prefix?: string;
}

type Json = unknown;
type Path = readonly string[];

/** SPEC's field table, written out again by hand (ip and hmac are special-cased below). */
export const ORACLE_FIELDS: Readonly<Record<string, readonly Path[]>> = {
  path: [["request", "path"]],
  role: [
    ["auth", "metadata", "role_name"],
    ["response", "auth", "metadata", "role_name"],
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
  policy: [
    ["auth", "policies"],
    ["auth", "token_policies"],
  ],
  mount_type: [["request", "mount_type"]],
  namespace: [["request", "namespace", "path"]],
};

/** Every field the oracle computes postings for. */
export const ORACLE_FIELD_NAMES: readonly string[] = ["ip", "hmac", ...Object.keys(ORACLE_FIELDS)];

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

/** Non-empty strings at a path; an array there gives its string items. */
function stringsAt(entry: Json, path: Path): string[] {
  const v = at(entry, path);
  const items = Array.isArray(v) ? v : [v];
  return items.filter((x): x is string => typeof x === "string" && x !== "");
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

function ipsOf(entry: Json): string[] {
  const raw: string[] = stringsAt(entry, ["request", "remote_address"]);
  for (const header of stringsAt(entry, ["request", "headers", "x-forwarded-for"])) {
    raw.push(...header.split(","));
  }
  return raw.map(oracleIp).filter((ip): ip is string => ip !== undefined);
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

/** The values of one field in an entry (deduplicated: postings hold a record once per value). */
export function oracleFieldValues(entry: Json, field: string): Set<string> {
  if (field === "ip") return new Set(ipsOf(entry));
  if (field === "hmac") return new Set(hmacsOf(entry, []));
  const paths = ORACLE_FIELDS[field];
  if (!paths) throw new Error(`the oracle does not know field ${field}`);
  return new Set(paths.flatMap((p) => stringsAt(entry, p)));
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
      records.push({ file, lineNo, text: parsed.text });
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
      }
    }
  }
  return { records, badLines, postings, firstTimeNs, lastTimeNs };
}
