// What does a realistic Vault audit log look like, with incidents in it? A deterministic generator
// of audit lines (JSON, one entry a line) for `breakglass demo`, tests and benchmarks.
// Contract: the same options give byte-identical output; lines are ASCII JSON objects without the
// newline; request/response pairs share request.id and times only increase. Every planted value
// carries a real audit HMAC (HMAC-SHA256 keyed by `salt`); bulk noise uses pseudo-random 64-hex
// "HMACs" drawn from the seeded PRNG, because a real HMAC per value would cost several times the
// generation time and nothing ever needs to invert noise. Planted scenarios are spread through the
// file (start, middle, end) so that finding them needs a real search.
// Cost: about one object graph and one JSON.stringify per line; measured 81 MB/s on one core
// (1 GiB in 13 s with bench/generate.ts). It never reads the clock or Math.random.
import { createWriteStream } from "node:fs";
import { auditHmac } from "../audit/audit-hmac.js";

export interface GenerateOptions {
  /** Same seed + options => byte-identical output. */
  seed: number;
  /** Stop after the first complete request/response pair that reaches this size (with `plant`, never before the planted pairs). */
  targetBytes: number;
  /** The audit device's salt: the HMAC key of every planted value. */
  salt: string;
  /** RFC 3339 time of the first entry; default "2026-11-20T00:00:00Z". */
  startTime?: string;
  /** Plant the incident scenarios (default true). */
  plant?: boolean;
}

export interface PlantedIncidents {
  /** An IPv4 that unwraps a stolen wrapping token, logs in with AppRole and reads database creds. */
  compromisedIp: string;
  /** Lease ids issued to requests from compromisedIp (remote_address, or X-Forwarded-For behind the balancer), in order. */
  compromisedIpLeases: string[];
  /** Plaintext of a password returned in exactly one database/creds response. */
  leakedPassword: string;
  leakedPasswordHmac: string;
  leakedPasswordLease: string;
  /** role_name of the AppRole logins from compromisedIp and of the requests made with their tokens. */
  approleRole: string;
  /** Wrapping token used in failed sys/wrapping/unwrap calls ("wrapping token is not valid or does not exist"). */
  stolenWrappingTokenHmac: string;
  failedUnwrapIp: string;
}

export interface GenerateResult {
  bytes: number;
  lines: number;
  planted: PlantedIncidents | undefined;
}

const DEFAULT_START_TIME = "2026-11-20T00:00:00Z";
const WRITE_BATCH_CHARS = 1 << 20; // 1 MiB strings per stream write: fewer syscalls, bounded memory
const LB_IP = "10.0.0.2";
const COMPROMISED_IP = "10.103.9.43";
const FAILED_UNWRAP_IP = "10.100.7.21";
const APPROLE_ROLE = "app1role";
const UNWRAP_ERROR = "wrapping token is not valid or does not exist";
const CLIENT_COUNT = 160;
const RENEWABLE_LEASES = 64; // recent noise leases that sys/leases/renew picks from

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Entry shape of one pair: Vault's Go struct order with omitempty, the same sorted, or pre-1.x with empty fields. */
type Style = "go" | "alpha" | "old";

// ---------------------------------------------------------------------------------------------
// Seeded randomness (mulberry32: tiny, fast, good enough for test data).

class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = (seed ^ 0x9e3779b9) >>> 0;
    for (let i = 0; i < 4; i++) this.u32();
  }
  u32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }
  chance(p: number): boolean {
    return this.u32() < p * 4294967296;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, "0"),
);
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";

function hex32(u: number): string {
  return (
    (HEX_BYTE[u >>> 24] as string) +
    (HEX_BYTE[(u >>> 16) & 255] as string) +
    (HEX_BYTE[(u >>> 8) & 255] as string) +
    (HEX_BYTE[u & 255] as string)
  );
}

function uuid(rng: Rng): string {
  const a = rng.u32();
  const b = rng.u32();
  const c = rng.u32();
  const d = rng.u32();
  const bHex = hex32(b);
  const cHex = hex32(c);
  return `${hex32(a)}-${bHex.slice(0, 4)}-${bHex.slice(4)}-${cHex.slice(0, 4)}-${cHex.slice(4)}${hex32(d)}`;
}

/** A stand-in for an audit HMAC of a noise value: same shape, no HMAC computed (speed). */
function fakeHmac(rng: Rng): string {
  let s = "hmac-sha256:";
  for (let i = 0; i < 8; i++) s += hex32(rng.u32());
  return s;
}

function randomChars(rng: Rng, alphabet: string, length: number): string {
  let s = "";
  while (s.length < length) {
    let u = rng.u32();
    for (let k = 0; k < 5 && s.length < length; k++) {
      s += alphabet[u % alphabet.length];
      u = Math.floor(u / alphabet.length);
    }
  }
  return s;
}

/** Keys sorted at every level: how some Vault versions write entries. */
function sortKeys(value: Json): Json {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(sortKeys);
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key] as Json);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Time: increasing nanoseconds, printed like Go's RFC3339Nano (trailing zeros trimmed).

class Clock {
  private seconds: number;
  private nanos: number;
  private prefixSeconds = -1;
  private prefix = "";
  constructor(startTime: string) {
    const ms = Date.parse(startTime);
    if (Number.isNaN(ms)) throw new RangeError(`startTime is not an RFC 3339 time: ${startTime}`);
    this.seconds = Math.floor(ms / 1000);
    this.nanos = (ms % 1000) * 1_000_000;
  }
  advance(ns: number): void {
    this.nanos += ns;
    // Keep 7-9 fractional digits, like real Vault entries (a whole 100 ns would print fewer).
    if (this.nanos % 100 === 0) this.nanos += 1 + (ns % 97);
    if (this.nanos >= 1_000_000_000) {
      this.seconds += Math.floor(this.nanos / 1_000_000_000);
      this.nanos %= 1_000_000_000;
      if (this.nanos % 100 === 0) this.nanos += 3;
    }
  }
  /** The current time as Go prints it. */
  now(): string {
    if (this.seconds !== this.prefixSeconds) {
      this.prefixSeconds = this.seconds;
      this.prefix = new Date(this.seconds * 1000).toISOString().slice(0, 19);
    }
    let frac = String(this.nanos).padStart(9, "0");
    while (frac.endsWith("0")) frac = frac.slice(0, -1);
    return `${this.prefix}.${frac}Z`;
  }
  /** Whole-second RFC 3339 time, as in token_issue_time and wrap_info.creation_time. */
  secondsTime(): string {
    return new Date(this.seconds * 1000).toISOString().slice(0, 19) + "Z";
  }
  unixSeconds(): number {
    return this.seconds;
  }
}

// ---------------------------------------------------------------------------------------------
// Who talks to Vault.

type ClientKind = "approle" | "userpass" | "kubernetes" | "jwt" | "token";

interface Token {
  clientToken: string;
  accessor: string;
  displayName: string;
  policies: string[];
  metadata: Record<string, string> | undefined;
  entityId: string;
  ttl: number;
  issueTime: string;
  /** Policies from identity groups (some userpass users). */
  identityPolicies?: string[] | undefined;
}

interface Client {
  kind: ClientKind;
  /** The client's own address. */
  ip: string;
  /** Behind the load balancer: Vault sees LB_IP and an audited X-Forwarded-For header. */
  viaLb: boolean;
  /**
   * The X-Forwarded-For header values Vault audits for this client behind the balancer: the
   * right-most entry is the one the balancer appended (the client's address); entries left of it
   * are whatever the client sent (spoofable).
   */
  xff: string[];
  /** Sends a User-Agent and an X-Request-Id that the audit device records. */
  auditedHeaders: boolean;
  namespace: JsonObject;
  /** AppRole role, userpass user or Kubernetes role the client logs in as. */
  loginName: string;
  token: Token;
}

const ROOT_NS: JsonObject = { id: "root" };
const CHILD_NS: JsonObject = { id: "abc12", path: "team-a/" };
const APPROLE_ROLES = [APPROLE_ROLE, "app2role", "ci-runner", "billing-api", "reporting"];
const USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];
const K8S_ROLES = ["web", "worker", "payments"];
const JWT_ROLES = ["ci-deploy", "github-actions"];
const USER_AGENTS = [
  "Go-http-client/1.1",
  "curl/8.5.0",
  "vault/1.15.2 (+https://www.vaultproject.io/; go1.21.3)",
];
const DB_ROLES = ["readonly", "readwrite", "app1-ro", "reporting"];
const KV2_NAMES = ["config", "db", "api-keys", "tls", "stripe", "smtp", "feature-flags"];
const KV1_NAMES = ["config", "legacy-db", "ldap-bind", "s3"];
const KV_KEYS = ["password", "username", "api_key", "url", "token", "secret"];
const DENIED_PATHS = [
  "sys/mounts",
  "secret/data/admin/root-creds",
  "database/creds/admin",
  "sys/policies/acl/admin",
  "auth/token/create",
];
const POLICIES: Record<ClientKind, string[]> = {
  approle: ["app1-policy", "default"],
  userpass: ["default", "dev-team"],
  kubernetes: ["default", "k8s-app"],
  jwt: ["default", "ci"],
  token: ["default", "ops"],
};

/** Entity policies some userpass users get from their identity groups. */
const IDENTITY_POLICIES = ["dev-team-ident"];
/** Policies granted in the child namespace (id → policies), as Vault writes them for its tokens. */
const EXTERNAL_NAMESPACE_POLICIES: JsonObject = { abc12: ["team-a-read"] };
/** A performance standby that forwards some requests to the active node. */
const STANDBY = "vault-2.internal:8201";
/** Every this many-th pair comes from an audit device with omit_time (OpenBao): no `time`. */
const OMIT_TIME_EVERY = 250;

/**
 * Where a path's secrets engine or auth method is mounted, as Vault writes request.mount_point:
 * `auth/<method>/` for auth methods, else the first segment.
 */
function mountPointOf(path: string): string {
  const parts = path.split("/");
  return parts[0] === "auth" && parts.length > 1 ? `auth/${parts[1]}/` : `${parts[0]}/`;
}

/** A stable accessor per mount (`kv_1f2e3d4c`), from the mount's name, not the PRNG. */
function mountAccessorOf(mountType: string, mountPoint: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < mountPoint.length; i++)
    h = Math.imul(h ^ mountPoint.charCodeAt(i), 0x01000193);
  return `${mountType}_${hex32(h >>> 0)}`;
}

function randomIp(rng: Rng): string {
  const r = rng.int(100);
  if (r < 45) return `10.100.${rng.int(16)}.${1 + rng.int(254)}`;
  if (r < 82) {
    const ip = `10.103.${rng.int(16)}.${1 + rng.int(254)}`;
    return ip === COMPROMISED_IP ? "10.103.9.44" : ip;
  }
  if (r < 88) return `192.168.${rng.int(4)}.${1 + rng.int(254)}`;
  if (r < 93) return `172.16.${rng.int(8)}.${1 + rng.int(254)}`;
  return `2001:db8:${(rng.int(0xfff) + 1).toString(16)}::${(rng.int(0xffff) + 1).toString(16)}`;
}

// ---------------------------------------------------------------------------------------------
// The generator.

interface PairSpec {
  client: Client;
  operation: string;
  mountType: string;
  path: string;
  requestData?: JsonObject;
  wrapTtl?: number;
  /** Top-level auth of the request line; default: the client's token. */
  requestAuth?: Token | "anonymous";
  response?: JsonObject;
  /** Top-level auth of the response line (logins: the new token); default: requestAuth. */
  responseAuth?: Token;
  error?: string;
  /** Error on the request line too (permission denied is decided before the request is handled). */
  requestError?: boolean;
  noResponse?: boolean;
}

class AuditLogGenerator {
  private readonly rng: Rng;
  private readonly clock: Clock;
  private readonly clients: Client[] = [];
  private readonly leaseRing: string[] = [];
  private leaseRingNext = 0;
  private pairs = 0;
  private balancedClients = 0;
  private readonly unwrapErrorHmac: string;
  private readonly permissionDeniedHmac: string;
  bytes = 0;

  constructor(private readonly opts: GenerateOptions) {
    this.rng = new Rng(opts.seed);
    this.clock = new Clock(opts.startTime ?? DEFAULT_START_TIME);
    this.unwrapErrorHmac = auditHmac(opts.salt, UNWRAP_ERROR);
    this.permissionDeniedHmac = auditHmac(
      opts.salt,
      "1 error occurred:\n\t* permission denied\n\n",
    );
    for (let i = 0; i < CLIENT_COUNT; i++) this.clients.push(this.newClient());
  }

  private newClient(): Client {
    const rng = this.rng;
    const r = rng.int(100);
    const kind: ClientKind =
      r < 45 ? "approle" : r < 62 ? "kubernetes" : r < 70 ? "jwt" : r < 90 ? "userpass" : "token";
    const loginName =
      kind === "approle"
        ? rng.pick(APPROLE_ROLES)
        : kind === "userpass"
          ? rng.pick(USERS)
          : kind === "kubernetes"
            ? rng.pick(K8S_ROLES)
            : kind === "jwt"
              ? rng.pick(JWT_ROLES)
              : "ops";
    const ip = randomIp(rng);
    const viaLb = rng.chance(0.05);
    return {
      kind,
      ip,
      viaLb,
      xff: viaLb ? this.forwardedFor(ip, this.balancedClients++) : [ip],
      auditedHeaders: rng.chance(0.2),
      namespace: rng.chance(0.08) ? CHILD_NS : ROOT_NS,
      loginName,
      token: this.newToken(kind, loginName),
    };
  }

  /**
   * What the balancer's X-Forwarded-For looks like for a client at `ip`: mostly just the address;
   * some clients send their own header first (a spoofed or internal address, `unknown`), which
   * the balancer keeps on the left; some headers arrive as two values. The `n`th client behind the
   * balancer gets the `n % 5`th shape, so even a small log has every shape.
   */
  private forwardedFor(ip: string, n: number): string[] {
    const rng = this.rng;
    switch (n % 5) {
      case 0:
        return [ip];
      case 1:
        return [`203.0.113.${1 + rng.int(254)}, ${ip}`];
      case 2:
        return [`unknown, ${ip}`];
      case 3:
        return [`198.51.100.${1 + rng.int(254)}`, ip];
      default:
        return [`192.0.2.${1 + rng.int(254)}, 10.0.0.3, ${ip}`];
    }
  }

  private newToken(kind: ClientKind, loginName: string, real?: { plaintext: string }): Token {
    const rng = this.rng;
    const hmac = (plain: string): string =>
      real ? auditHmac(this.opts.salt, plain) : fakeHmac(rng);
    const metadata: Record<string, string> | undefined =
      kind === "approle"
        ? { role_name: loginName }
        : kind === "userpass"
          ? { username: loginName }
          : kind === "kubernetes"
            ? {
                role: loginName,
                service_account_name: loginName,
                service_account_namespace: "prod",
              }
            : kind === "jwt"
              ? { role: loginName }
              : undefined;
    return {
      clientToken: hmac(real?.plaintext ?? ""),
      accessor: hmac(`${real?.plaintext ?? ""}-accessor`),
      displayName:
        kind === "approle" ? "approle" : kind === "token" ? "token" : `${kind}-${loginName}`,
      policies: POLICIES[kind],
      metadata,
      entityId: uuid(rng),
      ttl: kind === "token" ? 2764800 : 3600,
      issueTime: this.clock.secondsTime(),
      identityPolicies: kind === "userpass" && rng.chance(0.3) ? IDENTITY_POLICIES : undefined,
    };
  }

  private authBlock(token: Token, style: Style): JsonObject {
    if (style === "old") {
      return {
        client_token: token.clientToken,
        accessor: token.accessor,
        display_name: token.displayName,
        policies: token.policies,
        metadata: token.metadata ?? null,
      };
    }
    const auth: JsonObject = {
      client_token: token.clientToken,
      accessor: token.accessor,
      display_name: token.displayName,
      policies: token.policies,
      token_policies: token.policies,
    };
    if (token.identityPolicies) {
      auth.identity_policies = token.identityPolicies;
      auth.external_namespace_policies = EXTERNAL_NAMESPACE_POLICIES;
    }
    if (token.metadata) auth.metadata = token.metadata;
    auth.entity_id = token.entityId;
    auth.token_type = "service";
    auth.token_ttl = token.ttl;
    auth.token_issue_time = token.issueTime;
    return auth;
  }

  /** Emits one request line and (unless noResponse) its response line. */
  private *pair(spec: PairSpec, style: Style): Generator<string> {
    const rng = this.rng;
    const { client } = spec;
    const old = style === "old";
    const remoteAddress = client.viaLb ? LB_IP : client.ip;
    const requestAuthToken = spec.requestAuth ?? client.token;
    const callerToken = requestAuthToken === "anonymous" ? undefined : requestAuthToken;

    let auth: JsonObject | undefined;
    if (requestAuthToken === "anonymous") {
      auth = old ? undefined : rng.chance(0.3) ? undefined : { token_type: "default" };
    } else {
      auth = this.authBlock(requestAuthToken, style);
      // Vault 1.13+ records which policies allowed the request.
      if (!old && rng.chance(0.3)) {
        auth.policy_results = {
          allowed: !(spec.error !== undefined && spec.requestError === true),
          granting_policies: requestAuthToken.policies
            .slice(-1)
            .map((name) => ({ name, namespace_id: "root", type: "acl" })),
        };
      }
    }
    const mountPoint = !old && rng.chance(0.7) ? mountPointOf(spec.path) : undefined;
    const omitTime = ++this.pairs % OMIT_TIME_EVERY === 0;
    const forwarded = !old && rng.int(30) === 0;

    const request: JsonObject = { id: uuid(rng), operation: spec.operation };
    if (mountPoint) {
      request.mount_point = mountPoint;
      request.mount_accessor = mountAccessorOf(spec.mountType, mountPoint);
    }
    if (!old) request.mount_type = spec.mountType;
    if (callerToken) {
      request.client_token = callerToken.clientToken;
      request.client_token_accessor = callerToken.accessor;
    }
    if (!old) request.namespace = client.namespace;
    request.path = spec.path;
    if (spec.requestData) request.data = spec.requestData;
    else if (old) request.data = null;
    request.remote_address = remoteAddress;
    if (!old && rng.chance(0.3)) request.remote_port = 30000 + rng.int(30000);
    if (old || spec.wrapTtl) request.wrap_ttl = spec.wrapTtl ?? 0;
    const headers: { [key: string]: string[] } = {};
    if (client.viaLb) headers["x-forwarded-for"] = client.xff;
    if (!old && client.auditedHeaders) {
      headers["user-agent"] = [USER_AGENTS[client.ip.length % USER_AGENTS.length]!];
      headers["x-request-id"] = [uuid(rng)];
    }
    if (old || Object.keys(headers).length > 0) request.headers = headers;

    this.clock.advance(1_000 + rng.int(40_000_000));
    const requestLine: JsonObject = omitTime
      ? { type: "request" }
      : { time: this.clock.now(), type: "request" };
    if (auth) requestLine.auth = auth;
    requestLine.request = request;
    if (spec.requestError && spec.error) requestLine.error = spec.error;
    else if (old) requestLine.error = "";
    if (forwarded) requestLine.forwarded_from = STANDBY;
    yield this.stringify(requestLine, style);

    if (spec.noResponse) return;
    this.clock.advance(200_000 + rng.int(15_000_000));
    const responseLine: JsonObject = omitTime
      ? { type: "response" }
      : { time: this.clock.now(), type: "response" };
    const responseAuth = spec.responseAuth ? this.authBlock(spec.responseAuth, style) : auth;
    if (responseAuth) responseLine.auth = responseAuth;
    responseLine.request = request;
    const response: JsonObject = spec.response ?? {};
    if (!old && !spec.response && !spec.error) response.mount_type = spec.mountType;
    responseLine.response = response;
    if (spec.error) responseLine.error = spec.error;
    else if (old) responseLine.error = "";
    if (forwarded) {
      responseLine.forwarded = true;
      responseLine.forwarded_from = STANDBY;
    }
    yield this.stringify(responseLine, style);
  }

  private stringify(entry: JsonObject, style: Style): string {
    const line = JSON.stringify(style === "alpha" ? sortKeys(entry) : entry);
    this.bytes += line.length + 1; // every character is ASCII
    return line;
  }

  private pickStyle(): Style {
    const r = this.rng.int(100);
    return r < 70 ? "go" : r < 90 ? "alpha" : "old";
  }

  private pickClient(): Client {
    // Skewed: a few busy clients, a long tail.
    const f = this.rng.u32() / 4294967296;
    return this.clients[Math.floor(f * f * this.clients.length)] as Client;
  }

  private newLease(role: string, client: Client, remember: boolean): string {
    const lease = `database/creds/${role}/${randomChars(this.rng, ALNUM, 24)}${client.namespace === CHILD_NS ? ".abc12" : ""}`;
    if (remember) {
      this.leaseRing[this.leaseRingNext] = lease;
      this.leaseRingNext = (this.leaseRingNext + 1) % RENEWABLE_LEASES;
    }
    return lease;
  }

  private dbUsername(role: string, client: Client): string {
    return `v-${client.kind}-${role}-${randomChars(this.rng, LOWER_ALNUM, 20)}-${this.clock.unixSeconds()}`;
  }

  // ---- noise ----------------------------------------------------------------------------------

  /** One random pair of ordinary traffic. */
  *noisePair(): Generator<string> {
    const rng = this.rng;
    const style = this.pickStyle();
    if (rng.chance(0.003)) {
      yield* this.kmipPair();
      return;
    }
    const client = this.pickClient();
    const spec = this.noiseSpec(client);
    if (rng.chance(0.01)) spec.noResponse = true;
    yield* this.pair(spec, style);
  }

  private noiseSpec(client: Client): PairSpec {
    const rng = this.rng;
    const h = (): string => fakeHmac(rng);
    const r = rng.int(1000);
    if (r >= 215 && r < 230) return this.kvManageSpec(client);
    if (r < 230) {
      const name = rng.pick(KV2_NAMES);
      const data: JsonObject = {};
      for (let i = 1 + rng.int(3); i > 0; i--) data[rng.pick(KV_KEYS)] = h();
      return {
        client,
        operation: "read",
        mountType: "kv",
        path: `secret/data/app1/${name}`,
        response: {
          mount_type: "kv",
          data: {
            data,
            metadata: {
              created_time: h(),
              custom_metadata: null,
              deletion_time: h(),
              destroyed: false,
              version: 1 + rng.int(9),
            },
          },
        },
      };
    }
    if (r < 280) {
      const data: JsonObject = {};
      for (let i = 1 + rng.int(3); i > 0; i--) data[rng.pick(KV_KEYS)] = h();
      return {
        client,
        operation: rng.chance(0.5) ? "create" : "update",
        mountType: "kv",
        path: `secret/data/app1/${rng.pick(KV2_NAMES)}`,
        requestData: { data },
        response: {
          mount_type: "kv",
          data: {
            created_time: h(),
            custom_metadata: null,
            deletion_time: h(),
            destroyed: false,
            version: 1 + rng.int(9),
          },
        },
      };
    }
    if (r < 360) {
      const data: JsonObject = {};
      for (let i = 1 + rng.int(3); i > 0; i--) data[rng.pick(KV_KEYS)] = h();
      return {
        client,
        operation: "read",
        mountType: "kv",
        path: `secret/app2/${rng.pick(KV1_NAMES)}`,
        response: { mount_type: "kv", data },
      };
    }
    if (r < 480) {
      const role = rng.pick(DB_ROLES);
      return this.dbCredsSpec(client, role, this.newLease(role, client, true), h(), h());
    }
    if (r < 560 && client.kind !== "token") return this.loginSpec(client, undefined);
    if (r < 660) return this.lookupSelfSpec(client);
    if (r < 720 && this.leaseRing.length > 0) {
      const lease = rng.pick(this.leaseRing);
      return {
        client,
        operation: "update",
        mountType: "system",
        path: "sys/leases/renew",
        requestData: { increment: 3600, lease_id: h() },
        response: { mount_type: "system", secret: { lease_id: lease } },
      };
    }
    if (r < 740) return this.unwrapSuccessSpec(client, h());
    if (r < 748) return this.unwrapFailureSpec(client, h());
    if (r < 768) return this.wrappedSecretIdSpec(client, h(), 60 + 60 * rng.int(5));
    if (r < 800) {
      return {
        client,
        operation: "update",
        mountType: "pki",
        path: "pki_int/issue/example-dot-com",
        requestData: { common_name: h(), ttl: h() },
        response: {
          mount_type: "pki",
          data: {
            ca_chain: [h(), h()],
            certificate: h(),
            expiration: this.clock.unixSeconds() + 86400,
            issuing_ca: h(),
            private_key: h(),
            private_key_type: h(),
            serial_number: h(),
          },
        },
      };
    }
    if (r < 880) {
      const sub = rng.chance(0.5);
      return {
        client,
        operation: "read",
        mountType: "system",
        path: sub
          ? `sys/internal/ui/mounts/secret/data/app1/${rng.pick(KV2_NAMES)}`
          : "sys/internal/ui/mounts",
        response: {
          mount_type: "system",
          data: sub
            ? {
                accessor: h(),
                config: { default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0 },
                description: h(),
                local: false,
                options: { version: h() },
                path: h(),
                seal_wrap: false,
                type: h(),
                uuid: h(),
              }
            : { auth: {}, secret: { "secret/": { options: { version: h() }, type: h() } } },
        },
      };
    }
    if (r < 930) {
      const multi = rng.chance(0.4);
      return {
        client,
        operation: rng.chance(0.5) ? "read" : "update",
        mountType: "system",
        path: rng.pick(DENIED_PATHS),
        // Half without a token, half with one whose policies do not allow the path.
        requestAuth: rng.chance(0.5) ? "anonymous" : undefined,
        response: multi ? { data: { error: this.permissionDeniedHmac } } : {},
        error: multi ? "1 error occurred:\n\t* permission denied\n\n" : "permission denied",
        requestError: true,
      };
    }
    return this.lookupSelfSpec(client);
  }

  /** KV v2 besides data/: browse folders, read a secret's metadata, delete and destroy versions. */
  private kvManageSpec(client: Client): PairSpec {
    const rng = this.rng;
    const name = rng.pick(KV2_NAMES);
    const r = rng.int(10);
    if (r < 3) {
      return {
        client,
        operation: "list",
        mountType: "kv",
        path: rng.chance(0.5) ? "secret/metadata/app1/" : "secret/metadata/",
        response: { mount_type: "kv", data: { keys: KV2_NAMES.map(() => fakeHmac(rng)) } },
      };
    }
    if (r < 5) {
      return {
        client,
        operation: "read",
        mountType: "kv",
        path: `secret/metadata/app1/${name}`,
        response: {
          mount_type: "kv",
          data: { current_version: 1 + rng.int(9), max_versions: 0, versions: {} },
        },
      };
    }
    const op = rng.pick(["delete", "undelete", "destroy"]);
    return {
      client,
      operation: "update",
      mountType: "kv",
      path: `secret/${op}/app1/${name}`,
      requestData: { versions: [1 + rng.int(9)] },
      response: { mount_type: "kv" },
    };
  }

  private dbCredsSpec(
    client: Client,
    role: string,
    lease: string,
    username: string,
    password: string,
  ): PairSpec {
    return {
      client,
      operation: "read",
      mountType: "database",
      path: `database/creds/${role}`,
      response: {
        mount_type: "database",
        secret: { lease_id: lease },
        data: { password, username },
      },
    };
  }

  private loginSpec(client: Client, real: { plaintext: string } | undefined): PairSpec {
    const rng = this.rng;
    const h = (plain: string): string => (real ? auditHmac(this.opts.salt, plain) : fakeHmac(rng));
    const token = this.newToken(client.kind, client.loginName, real);
    client.token = token;
    const path =
      client.kind === "approle"
        ? "auth/approle/login"
        : client.kind === "userpass"
          ? `auth/userpass/login/${client.loginName}`
          : `auth/${client.kind}/login`;
    const requestData: JsonObject =
      client.kind === "approle"
        ? {
            role_id: h(`${client.loginName}-role-id`),
            secret_id: h(`${real?.plaintext}-secret-id`),
          }
        : client.kind === "userpass"
          ? { password: h(`${client.loginName}-password`) }
          : { jwt: h(""), role: h(client.loginName) };
    const mountType = client.kind;
    return {
      client,
      operation: "update",
      mountType,
      path,
      requestData,
      requestAuth: "anonymous",
      responseAuth: token,
      response: {
        auth: {
          client_token: token.clientToken,
          accessor: token.accessor,
          display_name: token.displayName,
          policies: token.policies,
          token_policies: token.policies,
          metadata: token.metadata ?? null,
          entity_id: token.entityId,
          token_type: "service",
          token_ttl: token.ttl,
        },
        mount_type: mountType,
      },
    };
  }

  private lookupSelfSpec(client: Client): PairSpec {
    const rng = this.rng;
    const h = (): string => fakeHmac(rng);
    const t = client.token;
    return {
      client,
      operation: "read",
      mountType: "token",
      path: "auth/token/lookup-self",
      response: {
        mount_type: "token",
        data: {
          accessor: t.accessor,
          creation_time: this.clock.unixSeconds() - rng.int(3000),
          creation_ttl: t.ttl,
          display_name: h(),
          entity_id: h(),
          expire_time: h(),
          explicit_max_ttl: 0,
          id: t.clientToken,
          issue_time: h(),
          meta: null,
          num_uses: 0,
          orphan: true,
          path: h(),
          policies: t.policies.map(() => h()),
          renewable: true,
          ttl: t.ttl - rng.int(3000),
          type: h(),
        },
      },
    };
  }

  /** An unwrap; without `wrappingToken` in the body, the caller presents it as its client token. */
  private unwrapSuccessSpec(client: Client, wrappingToken: string | undefined): PairSpec {
    const h = (): string => fakeHmac(this.rng);
    return {
      client,
      operation: "update",
      mountType: "system",
      path: "sys/wrapping/unwrap",
      ...(wrappingToken ? { requestData: { token: wrappingToken } } : {}),
      response: {
        mount_type: "system",
        data: { secret_id: h(), secret_id_accessor: h(), secret_id_num_uses: 0, secret_id_ttl: 0 },
      },
    };
  }

  private unwrapFailureSpec(client: Client, wrappingToken: string): PairSpec {
    return {
      client,
      operation: "update",
      mountType: "system",
      path: "sys/wrapping/unwrap",
      requestData: { token: wrappingToken },
      response: { mount_type: "system", data: { error: this.unwrapErrorHmac } },
      error: UNWRAP_ERROR,
    };
  }

  private wrappedSecretIdSpec(client: Client, wrappingToken: string, ttl: number): PairSpec {
    const h = (): string => fakeHmac(this.rng);
    return {
      client,
      operation: "update",
      mountType: "approle",
      path: `auth/approle/role/${APPROLE_ROLE}/secret-id`,
      wrapTtl: ttl,
      response: {
        mount_type: "approle",
        wrap_info: {
          ttl,
          token: wrappingToken,
          accessor: h(),
          creation_time: this.clock.secondsTime(),
          creation_path: `auth/approle/role/${APPROLE_ROLE}/secret-id`,
        },
      },
    };
  }

  /** Vault Enterprise KMIP entries: alphabetical keys, client address with a port. */
  private *kmipPair(): Generator<string> {
    const rng = this.rng;
    const remote = rng.pick(["10.0.0.5:5696", "192.168.0.10:36776", "[2001:db8::10]:36778"]);
    const operation = `0x${hex32(rng.pick([0x1e, 0x0a, 0x01, 0x12]))}`;
    const request: JsonObject = {
      client_certificate_serial_number: String(1e15 + rng.int(1e9)),
      data: {
        kmip_request: {
          tag: "RequestMessage",
          value: [
            {
              tag: "RequestHeader",
              value: [{ tag: "BatchCount", type: "Integer", value: "0x00000001" }],
            },
            {
              tag: "BatchItem",
              value: [
                { tag: "Operation", type: "Enumeration", value: operation },
                { tag: "RequestPayload", value: [] },
              ],
            },
          ],
        },
      },
      namespace: ROOT_NS,
      remote_address: remote,
    };
    this.clock.advance(1_000 + rng.int(40_000_000));
    yield this.stringify({ request, time: this.clock.now(), type: "kmip-request" }, "go");
    this.clock.advance(100_000 + rng.int(2_000_000));
    const response: JsonObject = {
      data: {
        kmip_response: {
          tag: "ResponseMessage",
          value: [
            {
              tag: "ResponseHeader",
              value: [{ tag: "BatchCount", type: "Integer", value: "0x00000001" }],
            },
            {
              tag: "BatchItem",
              value: [
                { tag: "Operation", type: "Enumeration", value: operation },
                { tag: "ResultStatus", type: "Enumeration", value: "0x00000000" },
              ],
            },
          ],
        },
      },
    };
    yield this.stringify(
      { request, response, time: this.clock.now(), type: "kmip-response" },
      "go",
    );
  }

  // ---- planted incidents ----------------------------------------------------------------------

  /**
   * The story: an admin creates a response-wrapped AppRole secret-id for app1role; the attacker
   * on compromisedIp unwraps it first, logs in with AppRole and reads database creds over the
   * whole file (once through the load balancer); the legitimate app on failedUnwrapIp later fails
   * to unwrap the same token. Separately, one database/creds response returns the password that
   * later leaks. Returns the planted facts and pairs keyed by where they belong (fraction of
   * targetBytes).
   */
  plan(): { planted: PlantedIncidents; steps: PlantedStep[] } {
    // Planted values come from their own PRNG, so they are known before any line is generated.
    const prng = new Rng(this.opts.seed ^ 0x5eed5eed);
    const salt = this.opts.salt;
    const secret = (): string => `hvs.${randomChars(prng, ALNUM, 24)}`;
    const password = (): string => `A1a-${randomChars(prng, LOWER_ALNUM, 20)}`;
    const lease = (role: string): string =>
      `database/creds/${role}/${randomChars(prng, ALNUM, 24)}`;
    const leakedPassword = password();
    const planted: PlantedIncidents = {
      compromisedIp: COMPROMISED_IP,
      compromisedIpLeases: [],
      leakedPassword,
      leakedPasswordHmac: auditHmac(salt, leakedPassword),
      leakedPasswordLease: lease("app1-ro"),
      approleRole: APPROLE_ROLE,
      stolenWrappingTokenHmac: auditHmac(salt, secret()),
      failedUnwrapIp: FAILED_UNWRAP_IP,
    };
    const wrappingToken: Token = {
      clientToken: planted.stolenWrappingTokenHmac,
      accessor: auditHmac(salt, randomChars(prng, ALNUM, 24)),
      displayName: "",
      policies: ["response-wrapping"],
      metadata: undefined,
      entityId: "",
      ttl: 300,
      issueTime: this.clock.secondsTime(),
    };

    const plantedClient = (kind: ClientKind, ip: string, loginName: string): Client => {
      const token = this.newToken(kind, loginName, { plaintext: secret() });
      return {
        kind,
        ip,
        viaLb: false,
        xff: [ip],
        auditedHeaders: false,
        namespace: ROOT_NS,
        loginName,
        token,
      };
    };
    const attacker = plantedClient("approle", COMPROMISED_IP, APPROLE_ROLE);
    const admin = plantedClient("userpass", "10.100.1.10", "alice");
    const app = plantedClient("approle", FAILED_UNWRAP_IP, "deployer");
    const victim = plantedClient("approle", "10.100.3.77", "app2role");

    const creds = (
      client: Client,
      role: string,
      leaseId: string,
      passwordHmac: string,
    ): Generator<string> => {
      const username = auditHmac(salt, this.dbUsername(role, client));
      return this.pair(
        this.dbCredsSpec(client, role, leaseId, username, passwordHmac),
        this.pickStyle(),
      );
    };
    const attackerCreds = (role: string, viaLb: boolean): PlantedStep["pair"] => {
      const leaseId = lease(role);
      const passwordHmac = auditHmac(salt, password());
      planted.compromisedIpLeases.push(leaseId);
      return () => creds({ ...attacker, viaLb }, role, leaseId, passwordHmac);
    };
    const login = (): PlantedStep["pair"] => {
      const plaintext = secret();
      return () => this.pair(this.loginSpec(attacker, { plaintext }), this.pickStyle());
    };
    const failedUnwrap = (): Generator<string> =>
      this.pair(this.unwrapFailureSpec(app, planted.stolenWrappingTokenHmac), this.pickStyle());

    const steps: PlantedStep[] = [
      {
        at: 0.02,
        pair: () =>
          this.pair(
            this.wrappedSecretIdSpec(admin, planted.stolenWrappingTokenHmac, 300),
            this.pickStyle(),
          ),
      },
      {
        // The attacker presents the wrapping token itself as X-Vault-Token.
        at: 0.03,
        pair: () =>
          this.pair(
            { ...this.unwrapSuccessSpec(attacker, undefined), requestAuth: wrappingToken },
            this.pickStyle(),
          ),
      },
      { at: 0.04, pair: login() },
      { at: 0.05, pair: attackerCreds("readonly", false) },
      { at: 0.3, pair: attackerCreds("readwrite", true) },
      {
        at: 0.45,
        pair: () =>
          creds(victim, "app1-ro", planted.leakedPasswordLease, planted.leakedPasswordHmac),
      },
      { at: 0.5, pair: failedUnwrap },
      { at: 0.52, pair: failedUnwrap },
      { at: 0.62, pair: attackerCreds("app1-ro", false) },
      { at: 0.88, pair: login() },
      { at: 0.9, pair: attackerCreds("readwrite", false) },
      { at: 0.95, pair: failedUnwrap },
    ];
    return { planted, steps };
  }
}

interface PlantedStep {
  /** Where the pair goes: emitted once the output reaches this fraction of targetBytes. */
  at: number;
  pair: () => Generator<string>;
}

/**
 * Audit lines (without newline), deterministic in `opts`. With `opts.plant` (default), the
 * planted facts are available from `writeAuditLog`, or from `generateAuditLog` below.
 */
export function* generateAuditLines(opts: GenerateOptions): Generator<string> {
  yield* generateWithPlan(opts, () => undefined);
}

function* generateWithPlan(
  opts: GenerateOptions,
  onPlanted: (planted: PlantedIncidents | undefined) => void,
): Generator<string> {
  const gen = new AuditLogGenerator(opts);
  const plan = opts.plant === false ? undefined : gen.plan();
  onPlanted(plan?.planted);
  const steps = plan?.steps ?? [];
  let next = 0;
  while (gen.bytes < opts.targetBytes) {
    const step = steps[next];
    if (step && gen.bytes >= step.at * opts.targetBytes) {
      next++;
      yield* step.pair();
    } else {
      yield* gen.noisePair();
    }
  }
  for (; next < steps.length; next++) yield* (steps[next] as (typeof steps)[number]).pair();
}

/** The facts that `opts` plants (undefined when `plant` is false), without generating any line. */
export function plantedIncidents(opts: GenerateOptions): PlantedIncidents | undefined {
  return opts.plant === false ? undefined : new AuditLogGenerator(opts).plan().planted;
}

/** Writes the lines, each followed by "\n", to `file` in 1 MiB writes that honour backpressure. */
export async function writeAuditLog(file: string, opts: GenerateOptions): Promise<GenerateResult> {
  let planted: PlantedIncidents | undefined;
  const out = createWriteStream(file);
  let failure: Error | undefined;
  out.on("error", (err) => (failure = err));
  let bytes = 0;
  let lines = 0;
  let batch = "";
  try {
    for (const line of generateWithPlan(opts, (p) => (planted = p))) {
      batch += line + "\n";
      lines++;
      if (batch.length >= WRITE_BATCH_CHARS) {
        bytes += batch.length;
        if (failure) throw failure;
        if (!out.write(batch)) await waitForDrain(out);
        batch = "";
      }
    }
    bytes += batch.length;
    if (batch.length > 0) out.write(batch);
    await new Promise<void>((resolve, reject) => {
      if (failure) return reject(failure);
      out.once("error", reject);
      out.end(() => resolve());
    });
  } catch (err) {
    out.destroy();
    throw err;
  }
  // The planted lease lists fill in while the pairs are generated: complete by now.
  return { bytes, lines, planted };
}

function waitForDrain(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      out.off("error", onError);
      resolve();
    };
    const onError = (err: Error): void => {
      out.off("drain", onDrain);
      reject(err);
    };
    out.once("drain", onDrain);
    out.once("error", onError);
  });
}
