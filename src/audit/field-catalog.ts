// The field catalog: SPEC.md's field table as data. Answers "where in an audit entry does field X
// live, how is it indexed, and what is its on-disk code". Pure; safe in workers.
// The codes are part of the on-disk format (store/format.ts): never renumber, only append.

/** How a field's values become index terms and which operators can use the index. */
export type FieldKind =
  | "ip" // 16-byte IPv6 (IPv4 mapped), so a CIDR is one range of terms
  | "time" // 12 bytes: seconds + nanoseconds, big-endian, so a time range is one range of terms
  | "string"; // UTF-8 (hmac-sha256 values packed to 33 bytes), so a prefix is one range of terms

export interface FieldSpec {
  /** The short name users type: `ip`, `path`, … */
  readonly name: string;
  /** On-disk code of the field's postings (one byte). */
  readonly code: number;
  readonly kind: FieldKind;
  /** Dotted paths into the entry; `[]` after a segment walks an array. */
  readonly paths: readonly string[];
  readonly description: string;
}

export const FIELDS: readonly FieldSpec[] = [
  {
    name: "ip",
    code: 1,
    kind: "ip",
    paths: ["request.remote_address", "request.headers.x-forwarded-for[]"],
    description: "client address (and audited X-Forwarded-For addresses); CIDR with `in`",
  },
  { name: "path", code: 2, kind: "string", paths: ["request.path"], description: "request path" },
  {
    name: "role",
    code: 3,
    kind: "string",
    paths: ["auth.metadata.role_name", "response.auth.metadata.role_name"],
    description: "AppRole (or other auth method) role name",
  },
  {
    name: "lease",
    code: 4,
    kind: "string",
    paths: ["response.secret.lease_id"],
    description: "lease id issued in the response",
  },
  {
    name: "hmac",
    code: 5,
    kind: "string",
    paths: ["**"],
    description: "every `hmac-sha256:` string anywhere in the entry",
  },
  {
    name: "token",
    code: 6,
    kind: "string",
    paths: ["auth.client_token", "request.client_token"],
    description: "client token (usually HMAC'd)",
  },
  {
    name: "accessor",
    code: 7,
    kind: "string",
    paths: ["auth.accessor", "request.client_token_accessor"],
    description: "token accessor",
  },
  {
    name: "type",
    code: 8,
    kind: "string",
    paths: ["type"],
    description: "entry type: request, response, …",
  },
  {
    name: "op",
    code: 9,
    kind: "string",
    paths: ["request.operation"],
    description: "operation: read, update, …",
  },
  {
    name: "error",
    code: 10,
    kind: "string",
    paths: ["error"],
    description: "error text (non-empty)",
  },
  { name: "time", code: 11, kind: "time", paths: ["time"], description: "entry time (RFC 3339)" },
  {
    name: "request_id",
    code: 12,
    kind: "string",
    paths: ["request.id"],
    description: "request id",
  },
  {
    name: "entity",
    code: 13,
    kind: "string",
    paths: ["auth.entity_id"],
    description: "identity entity id",
  },
  {
    name: "display_name",
    code: 14,
    kind: "string",
    paths: ["auth.display_name"],
    description: "token display name",
  },
  {
    name: "policy",
    code: 15,
    kind: "string",
    paths: ["auth.policies[]", "auth.token_policies[]"],
    description: "a policy of the token",
  },
  {
    name: "mount_type",
    code: 16,
    kind: "string",
    paths: ["request.mount_type"],
    description: "secrets engine or auth method type",
  },
  {
    name: "namespace",
    code: 17,
    kind: "string",
    paths: ["request.namespace.path"],
    description: "namespace path",
  },
];

const byName = new Map(FIELDS.map((f) => [f.name, f]));
const byCode = new Map(FIELDS.map((f) => [f.code, f]));

export function fieldByName(name: string): FieldSpec | undefined {
  return byName.get(name);
}

export function fieldByCode(code: number): FieldSpec | undefined {
  return byCode.get(code);
}

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
};
