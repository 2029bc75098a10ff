// The field catalog: README.md's field table as data. Answers "what is field X (its kind), where in
// an audit entry does it live, and what is its on-disk code". Code that treats fields differently
// switches on `kind` (and reads `paths` / `derived`), never on a field's name, so a new field is
// one entry here plus its tests. Pure; safe in workers.
// The codes are part of the on-disk format (store/format.ts): never renumber, only append.

/**
 * What a field's values are. It decides how a value becomes an index term (index-term.ts), which
 * texts are values at all, how values compare, and which operators the index can serve:
 * - text:   any non-empty string (numbers and booleans as JSON writes them); an `hmac-sha256:`
 *           value is packed to 9 bytes, any other is its UTF-8; a prefix is one range of terms.
 * - hmac:   text, but only `hmac-sha256:` strings (the audit HMACs); `hash()` is what it is for.
 * - number: a non-negative or negative decimal number, kept in its shortest form (`0443` is
 *           `443`); `=` compares numbers, `<` `>` order them. Anything else is not a value.
 * - ip:     an IPv4 or IPv6 address, with or without a port (16-byte term, so a CIDR is one range
 *           of terms); anything else (`unknown`, a hostname, an HMAC) is not a value.
 * - time:   an RFC 3339 time (12-byte term, so a time range is one range of terms); a time that
 *           does not parse is not a value: the entry has no time (`not exists time` finds it).
 */
export type FieldKind = "text" | "hmac" | "number" | "ip" | "time";

/**
 * Values that are computed from the entry rather than read at one path (audit/derived-values.ts
 * computes them, for ingest and queries alike):
 * - everyHmac:          every `hmac-sha256:` string anywhere in the entry;
 * - lastForwardedFor:   the right-most X-Forwarded-For address (the one the proxy in front of
 *                       Vault appended), when the right-most entry is an address;
 * - everyForwardedFor:  every X-Forwarded-For entry (client supplied: spoofable);
 * - addressPort:        the port written in request.remote_address (`10.0.0.5:5696`);
 * - outcome:            `error` when the entry has a non-empty top-level `error`, else `success`;
 * - kvPath:             a KV v2 path without its data/, metadata/, delete/, undelete/, destroy/
 *                       segment (request.mount_point says where the mount ends; without it, the
 *                       first segment is the mount when the second is one of those words);
 * - rootNamespace:      `root` when request.namespace is the root namespace (id `root`, path
 *                       missing or empty);
 * - recordSource:       where the record came from (not in the entry: the index's file
 *                       metadata, carried under a symbol: record-origin.ts);
 * - recordDevice:       the `--device` label of the record's file (likewise).
 */
export type Derivation =
  | "everyHmac"
  | "lastForwardedFor"
  | "everyForwardedFor"
  | "addressPort"
  | "outcome"
  | "kvPath"
  | "rootNamespace"
  | "recordSource"
  | "recordDevice";

export interface FieldSpec {
  /** The short name users type: `ip`, `path`, … */
  readonly name: string;
  /** On-disk code of the field's postings (one byte). */
  readonly code: number;
  /**
   * The revision of the field's extraction: bump it when what the field's values are in an entry
   * changes (a new path, a new derivation). Each segment records the revision it indexed
   * (store/segment-catalog.ts); a segment indexed at another revision, or before the field
   * existed, is answered from its records until `breakglass index --reindex` rebuilds it.
   */
  readonly revision: number;
  readonly kind: FieldKind;
  /**
   * Dotted paths into the entry whose values are the field's values. `name[]` walks every item of
   * an array (a trailing array is walked anyway), `*` every value of an object.
   */
  readonly paths: readonly string[];
  /** Values computed from the entry, beside those read at `paths`. */
  readonly derived?: Derivation | undefined;
  readonly description: string;
}

/** The audited X-Forwarded-For header (Vault writes audited header names in lower case). */
export const XFF_PATH = "request.headers.x-forwarded-for";

const CATALOG: readonly FieldSpec[] = [
  {
    name: "ip",
    code: 1,
    revision: 1,
    kind: "ip",
    paths: ["request.remote_address"],
    derived: "lastForwardedFor",
    description:
      "client address: request.remote_address and the right-most X-Forwarded-For address; CIDR with `in`",
  },
  {
    name: "path",
    code: 2,
    revision: 1,
    kind: "text",
    paths: ["request.path"],
    description: "request path",
  },
  {
    name: "role",
    code: 3,
    revision: 1,
    kind: "text",
    paths: [
      "auth.metadata.role_name",
      "response.auth.metadata.role_name",
      "auth.metadata.role",
      "response.auth.metadata.role",
    ],
    description: "auth method role: AppRole role_name, JWT/OIDC/Kubernetes role",
  },
  {
    name: "lease",
    code: 4,
    revision: 1,
    kind: "text",
    paths: ["response.secret.lease_id"],
    description: "lease id issued in the response",
  },
  {
    name: "hmac",
    code: 5,
    revision: 1,
    kind: "hmac",
    paths: [],
    derived: "everyHmac",
    description: "every `hmac-sha256:` string anywhere in the entry",
  },
  {
    name: "token",
    code: 6,
    revision: 1,
    kind: "text",
    paths: ["auth.client_token", "request.client_token"],
    description: "client token (HMAC'd unless the device has log_raw)",
  },
  {
    name: "accessor",
    code: 7,
    revision: 1,
    kind: "text",
    paths: ["auth.accessor", "request.client_token_accessor"],
    description: "token accessor",
  },
  {
    name: "type",
    code: 8,
    revision: 1,
    kind: "text",
    paths: ["type"],
    description: "entry type: request, response, …",
  },
  {
    name: "op",
    code: 9,
    revision: 1,
    kind: "text",
    paths: ["request.operation"],
    description: "operation: read, update, …",
  },
  {
    name: "error",
    code: 10,
    revision: 1,
    kind: "text",
    paths: ["error"],
    description: "error text (non-empty)",
  },
  {
    name: "time",
    code: 11,
    revision: 1,
    kind: "time",
    paths: ["time"],
    description: "entry time (RFC 3339)",
  },
  {
    name: "request_id",
    code: 12,
    revision: 1,
    kind: "text",
    paths: ["request.id"],
    description: "request id",
  },
  {
    name: "entity",
    code: 13,
    revision: 1,
    kind: "text",
    paths: ["auth.entity_id"],
    description: "identity entity id",
  },
  {
    name: "display_name",
    code: 14,
    revision: 1,
    kind: "text",
    paths: ["auth.display_name"],
    description: "token display name",
  },
  {
    name: "policy",
    code: 15,
    revision: 1,
    kind: "text",
    paths: [
      "auth.policies[]",
      "auth.token_policies[]",
      "auth.identity_policies[]",
      "auth.external_namespace_policies.*",
    ],
    description: "a policy of the token (token, identity and other namespaces' policies)",
  },
  {
    name: "mount_type",
    code: 16,
    revision: 1,
    kind: "text",
    paths: ["request.mount_type"],
    description: "secrets engine or auth method type",
  },
  {
    name: "namespace",
    code: 17,
    revision: 1,
    kind: "text",
    paths: ["request.namespace.path"],
    derived: "rootNamespace",
    description: "namespace path (`root` for the root namespace)",
  },
  {
    name: "namespace_id",
    code: 18,
    revision: 1,
    kind: "text",
    paths: ["request.namespace.id"],
    description: "namespace id (`root` for the root namespace)",
  },
  {
    name: "xff",
    code: 19,
    revision: 1,
    kind: "ip",
    paths: [],
    derived: "everyForwardedFor",
    description: "every audited X-Forwarded-For address (client supplied: spoofable)",
  },
  {
    name: "user_agent",
    code: 20,
    revision: 1,
    kind: "text",
    paths: ["request.headers.user-agent"],
    description: "audited User-Agent header",
  },
  {
    name: "correlation_id",
    code: 21,
    revision: 1,
    kind: "text",
    paths: [
      "request.headers.correlation-id",
      "request.headers.x-correlation-id",
      "request.headers.x-request-id",
    ],
    description: "audited correlation-id, x-correlation-id or x-request-id header",
  },
  {
    name: "forwarded_from",
    code: 22,
    revision: 1,
    kind: "text",
    paths: ["forwarded_from"],
    description: "the node that forwarded the request (performance standby)",
  },
  {
    name: "port",
    code: 23,
    revision: 1,
    kind: "number",
    paths: ["request.remote_port"],
    derived: "addressPort",
    description: "client port: request.remote_port or the port in request.remote_address",
  },
  {
    name: "mount_point",
    code: 24,
    revision: 1,
    kind: "text",
    paths: ["request.mount_point"],
    description: "where the secrets engine or auth method is mounted",
  },
  {
    name: "mount_accessor",
    code: 25,
    revision: 1,
    kind: "text",
    paths: ["request.mount_accessor"],
    description: "mount accessor",
  },
  {
    name: "client_cert",
    code: 26,
    revision: 1,
    kind: "text",
    paths: ["request.client_certificate_serial_number"],
    description: "serial number of the client's TLS certificate",
  },
  {
    name: "token_type",
    code: 27,
    revision: 1,
    kind: "text",
    paths: ["auth.token_type"],
    description: "token type: service, batch, default, …",
  },
  {
    name: "outcome",
    code: 28,
    revision: 1,
    kind: "text",
    paths: [],
    derived: "outcome",
    description: "`error` when the entry has an error, else `success`",
  },
  {
    name: "granted_by",
    code: 29,
    revision: 1,
    kind: "text",
    paths: ["auth.policy_results.granting_policies[].name"],
    description: "the policies that granted the request",
  },
  {
    name: "allowed",
    code: 30,
    revision: 1,
    kind: "text",
    paths: ["auth.policy_results.allowed"],
    description: "`true` or `false`: whether the policies allowed the request",
  },
  {
    name: "kv_path",
    code: 31,
    revision: 1,
    kind: "text",
    paths: [],
    derived: "kvPath",
    description: "KV v2 secret path without data/, metadata/, …: every read, write and browse",
  },
  {
    name: "source",
    code: 32,
    revision: 1,
    kind: "text",
    paths: [],
    derived: "recordSource",
    description:
      "where the record came from: the file's path when indexed, or the listener endpoint and peer (`tcp://127.0.0.1:8200 from 127.0.0.1:53012`)",
  },
  {
    name: "device",
    code: 33,
    revision: 1,
    kind: "text",
    paths: [],
    derived: "recordDevice",
    description: "the --device label given to index, listen or --follow",
  },
];

/**
 * Test-only: `BREAKGLASS_FIELD_REVISIONS=kv_path=2,ip=3` raises those fields' revisions, so tests
 * of the built bin can make an index's segments stale without a catalog change (a revision bump is
 * otherwise a code change). Unknown names and values that are not integers above 0 are ignored.
 */
export const FIELD_REVISIONS_ENV = "BREAKGLASS_FIELD_REVISIONS";

function revisionOverrides(): Map<string, number> {
  const out = new Map<string, number>();
  const text = typeof process === "undefined" ? undefined : process.env[FIELD_REVISIONS_ENV];
  for (const item of (text ?? "").split(",")) {
    const [name, value] = item.split("=");
    const n = Number(value);
    if (name && Number.isInteger(n) && n > 0) out.set(name.trim(), n);
  }
  return out;
}

export const FIELDS: readonly FieldSpec[] = ((): readonly FieldSpec[] => {
  const overrides = revisionOverrides();
  if (overrides.size === 0) return CATALOG;
  return CATALOG.map((f) => ({ ...f, revision: overrides.get(f.name) ?? f.revision }));
})();

const byName = new Map(FIELDS.map((f) => [f.name, f]));
const byCode = new Map(FIELDS.map((f) => [f.code, f]));

export function fieldByName(name: string): FieldSpec | undefined {
  return byName.get(name);
}

export function fieldByCode(code: number): FieldSpec | undefined {
  return byCode.get(code);
}

/** The field of `kind` (`time`: the one the time span, `timeline` and `sort` read). */
export function fieldOfKind(kind: FieldKind): FieldSpec {
  const spec = FIELDS.find((f) => f.kind === kind);
  if (!spec) throw new Error(`the catalog has no ${kind} field`);
  return spec;
}

/** Kinds whose values order (`<`, `>`, `sort`) as something other than text. */
export function isOrdered(kind: FieldKind): boolean {
  return kind === "time" || kind === "number";
}

/**
 * The top-level keys of an audit entry that Vault and OpenBao write. A dotted path may start at
 * any key, and these may also be named alone (`forwarded`). Used for "did you mean" as well.
 */
export const TOP_LEVEL_KEYS = [
  "time",
  "type",
  "auth",
  "request",
  "response",
  "error",
  "forwarded",
  "forwarded_from",
] as const;

/** Common spellings users reach for, mapped to the field they mean (for "did you mean"). */
export const FIELD_ALIASES: Readonly<Record<string, string>> = {
  remote_address: "ip",
  remote_addr: "ip",
  addr: "ip",
  address: "ip",
  client_ip: "ip",
  lease_id: "lease",
  role_name: "role",
  client_token: "token",
  client_token_accessor: "accessor",
  operation: "op",
  id: "request_id",
  entity_id: "entity",
  policies: "policy",
  ns: "namespace",
  ns_id: "namespace_id",
  "x-forwarded-for": "xff",
  forwarded_for: "xff",
  "user-agent": "user_agent",
  useragent: "user_agent",
  remote_port: "port",
  mount: "mount_point",
  status: "outcome",
  result: "outcome",
  success: "outcome",
  serial: "client_cert",
  client_certificate_serial_number: "client_cert",
  granting_policies: "granted_by",
  kv: "kv_path",
  secret: "kv_path",
};
