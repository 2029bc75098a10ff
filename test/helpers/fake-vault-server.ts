// A Vault-compatible HTTP server on 127.0.0.1 (random port), written from Vault's API docs, for
// tests and benchmarks of src/vault/. Real node:http, so the client's agents, timeouts, keep-alive
// and error paths are exercised for real.
// Covers: sys/health, sys/seal-status, sys/seal, sys/unseal (Shamir-like threshold of shares),
// sys/leases/revoke (204, also for unknown leases), revoke-prefix, revoke-force, sys/leases/lookup
// (200 with lease data; 400 {"errors":["invalid lease"]}), sys/audit-hash/<device> (HMAC with the
// configured salt), auth/token/revoke-accessor (204, also for unknown accessors, as Vault ≥ 1.10).
// Tokens: a wrong or missing X-Vault-Token gets 403 {"errors":["permission denied"]}; extra tokens
// may carry a deny list of path prefixes. Namespaces: each lease lives in one (X-Vault-Namespace
// selects it; a revoke sent to the wrong namespace "succeeds" with 204 and does nothing, like
// Vault). Sealed: 503 {"errors":["Vault is sealed"]}. Fault injection by probability (seeded) or
// exact schedule: 429, 500, 503 (standby), destroyed connections before or after the work, and
// added latency. Counters per lease so tests can assert "revoked exactly once".
import { createHmac, randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { mulberry32 } from "../../src/demo/seeded-random.js";

export type FaultKind = "429" | "500" | "503" | "destroy" | "destroy-after";

export interface FaultPlan {
  /** Probability that a matching call fails (one of `kinds`). */
  rate?: number;
  /** Picked uniformly when `rate` hits (default 429, 500, 503, destroy: none does the work). */
  kinds?: FaultKind[];
  /** Exact plan: the nth matching call (0-based) gets schedule[n]; null/undefined = no fault. */
  schedule?: (FaultKind | null | undefined)[];
  /** Added before every matching call is answered. */
  latencyMs?: number;
  /** Which calls are affected, by path after /v1/ (default: all but health, seal-status, unseal). */
  paths?: RegExp;
  /** Seed for `rate` (default 1), so a failing run can be replayed. */
  seed?: number;
  /** Send Retry-After (seconds) with injected 429s. */
  retryAfterSeconds?: number;
}

export interface FakeTokenPolicy {
  /** Path prefixes (after /v1/) this token is denied. */
  deny?: string[];
}

export interface FakeVaultOptions {
  rootToken?: string;
  tokens?: Record<string, FakeTokenPolicy>;
  /** The audit devices' salt (sys/audit-hash). */
  salt?: string;
  auditDevices?: string[];
  sealed?: boolean;
  /** Unseal key shares (default: 5 random); `threshold` of them unseal (default 3). */
  unsealKeys?: string[];
  threshold?: number;
  faults?: FaultPlan;
  /** Serve HTTPS with this key and certificate (PEM) instead of HTTP. */
  tls?: { key: string; cert: string };
}

const UNFAULTED = /^sys\/(health|seal-status|unseal)$/;

function normNs(ns: string | undefined): string {
  const t = (ns ?? "").replace(/^\/+|\/+$/g, "");
  return t === "root" ? "" : t;
}

interface Lease {
  issueTime: string;
  ttlSeconds: number;
  /** Revoke answers 204 but the lease stays (a backend whose revocation keeps failing while
   * Vault retries it in the background). */
  sticky: boolean;
}

export class FakeVault {
  readonly rootToken: string;
  readonly salt: string;
  readonly unsealKeys: readonly string[];
  readonly threshold: number;
  /** Every call the server saw, faulted ones included. */
  totalCalls = 0;
  faultsInjected = 0;
  readonly callsByPath = new Map<string, number>();
  /** TCP connections accepted (keep-alive means far fewer than calls). */
  connections = 0;
  /** The X-Vault-Namespace of every revoke call that did its work, in order. */
  readonly revokeNamespaces: string[] = [];

  #server: http.Server;
  #addr = "";
  #tokens: Map<string, FakeTokenPolicy>;
  #auditDevices: Set<string>;
  #sealed: boolean;
  #unsealProvided = new Set<string>();
  #leases = new Map<string, Map<string, Lease>>();
  #accessors = new Map<string, Set<string>>();
  #revokeRequests = new Map<string, number>();
  #lookupRequests = new Map<string, number>();
  #revocations = new Map<string, number>();
  #faults: FaultPlan | undefined;
  #faultCalls = 0;
  #random: () => number = mulberry32(1);
  #scheme: "http" | "https" = "http";

  private constructor(opts: FakeVaultOptions) {
    this.rootToken = opts.rootToken ?? `hvs.fake-root-${randomBytes(8).toString("hex")}`;
    this.salt = opts.salt ?? "fake-audit-salt";
    this.unsealKeys =
      opts.unsealKeys ?? [1, 2, 3, 4, 5].map(() => randomBytes(16).toString("base64"));
    this.threshold = opts.threshold ?? Math.min(3, this.unsealKeys.length);
    this.#tokens = new Map([[this.rootToken, {}], ...Object.entries(opts.tokens ?? {})]);
    this.#auditDevices = new Set(opts.auditDevices ?? ["file"]);
    this.#sealed = opts.sealed ?? false;
    this.setFaults(opts.faults);
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void this.#handle(req, res, Buffer.concat(chunks).toString("utf8"));
      });
    };
    this.#scheme = opts.tls ? "https" : "http";
    this.#server = opts.tls
      ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, onRequest)
      : http.createServer(onRequest);
    this.#server.keepAliveTimeout = 30_000;
    this.#server.on("connection", () => void this.connections++);
  }

  static async start(opts: FakeVaultOptions = {}): Promise<FakeVault> {
    const v = new FakeVault(opts);
    await new Promise<void>((resolve) => v.#server.listen(0, "127.0.0.1", resolve));
    const port = (v.#server.address() as AddressInfo).port;
    v.#addr = `${v.#scheme}://127.0.0.1:${port}`;
    return v;
  }

  /** "http://127.0.0.1:PORT", for VAULT_ADDR. */
  get addr(): string {
    return this.#addr;
  }

  get sealed(): boolean {
    return this.#sealed;
  }

  setSealed(sealed: boolean): void {
    this.#sealed = sealed;
    this.#unsealProvided.clear();
  }

  setFaults(plan: FaultPlan | undefined): void {
    this.#faults = plan;
    this.#faultCalls = 0;
    this.#random = mulberry32(plan?.seed ?? 1);
  }

  addLease(
    leaseId: string,
    namespace = "",
    opts: { ttlSeconds?: number; sticky?: boolean } = {},
  ): void {
    const ns = normNs(namespace);
    let table = this.#leases.get(ns);
    if (!table) this.#leases.set(ns, (table = new Map()));
    const ttlSeconds = opts.ttlSeconds ?? 3600;
    table.set(leaseId, {
      issueTime: new Date().toISOString(),
      ttlSeconds,
      sticky: opts.sticky ?? false,
    });
  }

  hasLease(leaseId: string, namespace = ""): boolean {
    return this.#leases.get(normNs(namespace))?.has(leaseId) ?? false;
  }

  leaseCount(namespace?: string): number {
    if (namespace !== undefined) return this.#leases.get(normNs(namespace))?.size ?? 0;
    let n = 0;
    for (const t of this.#leases.values()) n += t.size;
    return n;
  }

  addAccessor(accessor: string, namespace = ""): void {
    const ns = normNs(namespace);
    let set = this.#accessors.get(ns);
    if (!set) this.#accessors.set(ns, (set = new Set()));
    set.add(accessor);
  }

  hasAccessor(accessor: string, namespace = ""): boolean {
    return this.#accessors.get(normNs(namespace))?.has(accessor) ?? false;
  }

  /** Revoke calls (revoke, revoke-prefix, revoke-force, revoke-accessor) that reached the
   * handler for this id in this namespace, unknown ids included; faulted calls do not count. */
  revokeRequests(id: string, namespace = ""): number {
    return this.#revokeRequests.get(`${normNs(namespace)}\u0000${id}`) ?? 0;
  }

  /** Times a live lease or accessor was actually removed. */
  revocations(id: string, namespace = ""): number {
    return this.#revocations.get(`${normNs(namespace)}\u0000${id}`) ?? 0;
  }

  lookupRequests(id: string, namespace = ""): number {
    return this.#lookupRequests.get(`${normNs(namespace)}\u0000${id}`) ?? 0;
  }

  /** Revoke calls that did their work, over all ids. */
  get totalRevokeRequests(): number {
    let n = 0;
    for (const c of this.#revokeRequests.values()) n += c;
    return n;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #bump(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  #pickFault(path: string): FaultKind | undefined {
    const plan = this.#faults;
    if (!plan) return undefined;
    if (plan.paths ? !plan.paths.test(path) : UNFAULTED.test(path)) return undefined;
    const n = this.#faultCalls++;
    if (plan.schedule) return plan.schedule[n] ?? undefined;
    if (plan.rate && this.#random() < plan.rate) {
      const kinds = plan.kinds ?? ["429", "500", "503", "destroy"];
      return kinds[Math.floor(this.#random() * kinds.length)];
    }
    return undefined;
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse, text: string): Promise<void> {
    this.totalCalls++;
    const url = new URL(req.url ?? "/", "http://x");
    const path = decodeURIComponent(url.pathname.replace(/^\/v1\//, ""));
    this.#bump(this.callsByPath, path);
    const method = req.method ?? "GET";
    const ns = normNs(headerOf(req, "x-vault-namespace"));
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
      if (body === undefined) {
        res.writeHead(status, headers).end();
      } else {
        const json = JSON.stringify(body);
        res.writeHead(status, { "Content-Type": "application/json", ...headers }).end(json);
      }
    };
    const fail = (status: number, ...errors: string[]): void => send(status, { errors });

    const plan = this.#faults;
    const fault = this.#pickFault(path);
    const affected = plan && (plan.paths ? plan.paths.test(path) : !UNFAULTED.test(path));
    if (affected && plan.latencyMs) await new Promise((r) => setTimeout(r, plan.latencyMs));
    if (fault && fault !== "destroy-after") {
      this.faultsInjected++;
      if (fault === "destroy") {
        req.socket.destroy();
        return;
      }
      if (fault === "429") {
        const ra = plan?.retryAfterSeconds;
        send(
          429,
          { errors: [`request path "${path}": rate limit quota exceeded`] },
          ra === undefined ? {} : { "Retry-After": String(ra) },
        );
        return;
      }
      if (fault === "500") return fail(500, "1 error occurred:\n\t* internal error\n\n");
      return fail(503, "local node not active but active cluster node not found");
    }

    let body: Record<string, unknown> = {};
    if (text.trim()) {
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return fail(400, "failed to parse JSON input: invalid character");
      }
    }
    const write = method === "PUT" || method === "POST";

    // Unauthenticated endpoints, answered sealed or not.
    if (path === "sys/health" && (method === "GET" || method === "HEAD")) {
      return send(this.#sealed ? 503 : 200, {
        initialized: true,
        sealed: this.#sealed,
        standby: false,
        performance_standby: false,
        replication_performance_mode: "disabled",
        replication_dr_mode: "disabled",
        server_time_utc: Math.floor(Date.now() / 1000),
        version: "1.15.0+fake",
        cluster_name: "vault-cluster-fake",
        cluster_id: "00000000-fake",
      });
    }
    if (path === "sys/seal-status" && method === "GET") return send(200, this.#sealStatus());
    if (path === "sys/unseal" && write) {
      if (body.reset === true) {
        this.#unsealProvided.clear();
        return send(200, this.#sealStatus());
      }
      if (!this.#sealed) return send(200, this.#sealStatus());
      const key = body.key;
      if (typeof key !== "string" || key === "") return fail(400, "'key' must be specified");
      if (!this.unsealKeys.includes(key)) {
        this.#unsealProvided.clear();
        return fail(400, "Error unsealing: invalid key share");
      }
      this.#unsealProvided.add(key);
      if (this.#unsealProvided.size >= this.threshold) this.setSealed(false);
      return send(200, this.#sealStatus());
    }

    if (this.#sealed) return fail(503, "Vault is sealed");
    const token = headerOf(req, "x-vault-token");
    const policy = token === undefined ? undefined : this.#tokens.get(token);
    if (!policy || policy.deny?.some((p) => path.startsWith(p))) {
      return fail(403, "permission denied");
    }

    if (path === "sys/seal" && write) {
      this.setSealed(true);
      return send(204);
    }
    if ((path === "sys/leases/revoke" || path.startsWith("sys/leases/revoke/")) && write) {
      const id =
        path === "sys/leases/revoke" ? body.lease_id : path.slice("sys/leases/revoke/".length);
      if (typeof id !== "string" || id === "") return fail(400, "missing lease ID");
      this.#bump(this.#revokeRequests, `${ns}\u0000${id}`);
      this.revokeNamespaces.push(ns);
      const table = this.#leases.get(ns);
      if (table?.has(id) && !table.get(id)?.sticky) {
        table.delete(id);
        this.#bump(this.#revocations, `${ns}\u0000${id}`);
      }
      if (affected && fault === "destroy-after") return void req.socket.destroy();
      return send(204);
    }
    const prefixMatch = /^sys\/leases\/(revoke-prefix|revoke-force)\/(.+)$/.exec(path);
    if (prefixMatch && write) {
      const prefix = prefixMatch[2] ?? "";
      this.#bump(this.#revokeRequests, `${ns}\u0000${prefix}`);
      this.revokeNamespaces.push(ns);
      const table = this.#leases.get(ns);
      for (const id of [...(table?.keys() ?? [])]) {
        if (id.startsWith(prefix) && !table?.get(id)?.sticky) {
          table?.delete(id);
          this.#bump(this.#revocations, `${ns}\u0000${id}`);
        }
      }
      if (affected && fault === "destroy-after") return void req.socket.destroy();
      return send(204);
    }
    if (path === "sys/leases/lookup" && write) {
      const id = body.lease_id;
      if (typeof id !== "string" || id === "") return fail(400, "missing lease ID");
      this.#bump(this.#lookupRequests, `${ns}\u0000${id}`);
      const lease = this.#leases.get(ns)?.get(id);
      if (!lease) return fail(400, "invalid lease");
      const expire = new Date(Date.parse(lease.issueTime) + lease.ttlSeconds * 1000).toISOString();
      const data = {
        id,
        issue_time: lease.issueTime,
        expire_time: expire,
        last_renewal: null,
        renewable: true,
        ttl: lease.ttlSeconds,
      };
      return send(200, {
        request_id: "fake",
        lease_id: "",
        renewable: false,
        data,
        warnings: null,
      });
    }
    const hashMatch = /^sys\/audit-hash\/(.+)$/.exec(path);
    if (hashMatch && write) {
      const device = (hashMatch[1] ?? "").replace(/\/$/, "");
      if (!this.#auditDevices.has(device)) return fail(400, `unknown audit backend ${device}`);
      if (typeof body.input !== "string") return fail(400, 'the "input" parameter is empty');
      const hash =
        "hmac-sha256:" + createHmac("sha256", this.salt).update(body.input).digest("hex");
      return send(200, { request_id: "fake", data: { hash }, hash });
    }
    if (path === "auth/token/revoke-accessor" && write) {
      const accessor = body.accessor;
      if (typeof accessor !== "string" || accessor === "") return fail(400, "missing accessor");
      this.#bump(this.#revokeRequests, `${ns}\u0000${accessor}`);
      this.revokeNamespaces.push(ns);
      if (this.#accessors.get(ns)?.delete(accessor)) {
        this.#bump(this.#revocations, `${ns}\u0000${accessor}`);
      }
      return send(204);
    }
    return fail(404, "1 error occurred:\n\t* unsupported path\n\n");
  }

  #sealStatus(): Record<string, unknown> {
    return {
      type: "shamir",
      initialized: true,
      sealed: this.#sealed,
      t: this.threshold,
      n: this.unsealKeys.length,
      progress: this.#sealed ? this.#unsealProvided.size : 0,
      nonce: "",
      version: "1.15.0+fake",
      migration: false,
      recovery_seal: false,
      storage_type: "inmem",
      ...(this.#sealed ? {} : { cluster_name: "vault-cluster-fake", cluster_id: "00000000-fake" }),
    };
  }
}

function headerOf(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
