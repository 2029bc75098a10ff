// The one HTTP door to Vault: `request(method, path, {body, namespace})` against VAULT_ADDR/v1/,
// over keep-alive agents (node:http / node:https with VAULT_CACERT and VAULT_SKIP_VERIFY), with a
// per-request deadline. Any answer outside 2xx becomes a VaultRequestError whose message says what
// happened in words (permission denied, sealed, rate limited, not found, cannot reach Vault) and
// whose `kind` and `retryable` let callers decide; this module itself never retries.
// Paths are VaultApiPath values (vault-api-path.ts checks and encodes whatever came from outside)
// and are sent byte for byte: no URL parsing in between that could resolve "..".
// It must never let the token out: X-Vault-Token is redacted in debug lines, request bodies are
// never logged (unseal keys travel in them), and every message and hint it builds (the path, the
// server's text) is scrubbed of the token, which a path or a reply may carry.
import http from "node:http";
import https from "node:https";
import { VaultError } from "../errors.js";
import { vaultNamespace, type VaultApiPath } from "./vault-api-path.js";
import { REDACTED, redactToken, type VaultConfig } from "./vault-config.js";

export type VaultFailureKind =
  | "denied"
  | "sealed"
  | "unavailable"
  | "rate_limited"
  | "not_found"
  | "bad_request"
  | "server"
  | "unreachable"
  | "timeout"
  | "tls";

const RETRYABLE: ReadonlySet<VaultFailureKind> = new Set([
  "unavailable",
  "rate_limited",
  "server",
  "unreachable",
  "timeout",
]);

/** A Vault answer outside 2xx, or no answer at all. `errors` are Vault's own messages. */
export class VaultRequestError extends VaultError {
  readonly kind: VaultFailureKind;
  readonly errors: readonly string[];
  readonly retryable: boolean;
  /** From a Retry-After header (rate limit quotas send one). */
  readonly retryAfterMs: number | undefined;
  constructor(
    kind: VaultFailureKind,
    message: string,
    opts: { status?: number; errors?: readonly string[]; hint?: string; retryAfterMs?: number },
  ) {
    super(message, opts.status, opts.hint);
    this.kind = kind;
    this.errors = opts.errors ?? [];
    this.retryable = RETRYABLE.has(kind);
    this.retryAfterMs = opts.retryAfterMs;
  }
}

export type HttpMethod = "GET" | "PUT" | "POST" | "DELETE" | "LIST";

export interface VaultRequestOptions {
  body?: unknown;
  /** The namespace for this call ("" = root). Omitted: VAULT_NAMESPACE (config.namespace). */
  namespace?: string | undefined;
  /** Send X-Vault-Token (default true; sys/unseal, sys/seal-status and sys/health need none). */
  authenticated?: boolean;
  /** Statuses returned as answers instead of thrown (lookup's 400, health's 429/503…). */
  acceptStatus?: readonly number[];
  timeoutMs?: number;
}

export interface VaultResponse {
  status: number;
  /** Parsed JSON body; undefined for 204 or a body that is not JSON. */
  body: unknown;
  /** Vault's `errors` array, scrubbed of the token; empty on success. */
  errors: string[];
}

export interface VaultClientOptions {
  /** Receives one line per request (method, URL, redacted headers, status, ms); never bodies. */
  debug?: (line: string) => void;
  /** Sockets kept per host; revoke sizes this to its concurrency. */
  maxSockets?: number;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
]);

function isTlsCode(code: string): boolean {
  return (
    code.startsWith("ERR_TLS") ||
    code.startsWith("CERT_") ||
    code.startsWith("ERR_SSL") ||
    code === "EPROTO" ||
    code.includes("SELF_SIGNED") ||
    code.startsWith("UNABLE_TO_")
  );
}

export class VaultClient {
  readonly config: VaultConfig;
  readonly addr: string;
  /** VAULT_ADDR split once: requests are made from these parts, never by parsing a URL. */
  readonly #origin: { protocol: string; hostname: string; port: string; basePath: string };
  readonly #agent: http.Agent;
  readonly #isHttps: boolean;
  readonly #debug: ((line: string) => void) | undefined;

  constructor(config: VaultConfig, opts: VaultClientOptions = {}) {
    this.config = config;
    this.addr = config.addr;
    this.#isHttps = config.addr.startsWith("https:");
    this.#debug = opts.debug;
    const url = new URL(config.addr);
    this.#origin = {
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ""),
      port: url.port,
      basePath: url.pathname.replace(/\/+$/, ""),
    };
    const maxSockets = opts.maxSockets ?? 16;
    this.#agent = this.#isHttps
      ? new https.Agent({
          keepAlive: true,
          maxSockets,
          ca: config.caCert,
          rejectUnauthorized: !config.skipVerify,
        })
      : new http.Agent({ keepAlive: true, maxSockets });
  }

  get hasToken(): boolean {
    return this.config.token !== undefined;
  }

  /** Replaces every occurrence of the token in `text` (as is or percent-encoded) with "[redacted]". */
  readonly redact = (text: string): string => redactToken(text, this.config.token);

  close(): void {
    this.#agent.destroy();
  }

  async request(
    method: HttpMethod,
    vaultPath: VaultApiPath,
    opts: VaultRequestOptions = {},
  ): Promise<VaultResponse> {
    const requestPath = `${this.#origin.basePath}/v1/${vaultPath}`;
    const url = `${this.addr}/v1/${vaultPath}`;
    const namespace = vaultNamespace({
      name: "namespace",
      value: ("namespace" in opts ? opts.namespace : this.config.namespace) ?? "",
      redact: this.redact,
    });
    const headers: Record<string, string> = { Accept: "application/json" };
    const token = opts.authenticated === false ? undefined : this.config.token;
    if (token) headers["X-Vault-Token"] = token.reveal();
    if (namespace) headers["X-Vault-Namespace"] = namespace;
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = String(Buffer.byteLength(payload));
    }
    const timeoutMs = opts.timeoutMs ?? this.config.timeoutMs;
    const started = performance.now();
    const what = `${method} ${vaultPath}${namespace ? ` (namespace ${namespace})` : ""}`;

    let raw: { status: number; text: string; retryAfter: string | undefined };
    try {
      raw = await this.#send(requestPath, method, headers, payload, timeoutMs);
    } catch (err) {
      const e = this.#networkError(err, what, timeoutMs);
      this.#log(method, url, headers, `failed: ${e.kind}`, started);
      throw e;
    }
    this.#log(method, url, headers, String(raw.status), started);

    let body: unknown;
    if (raw.text.length > 0) {
      try {
        body = JSON.parse(raw.text);
      } catch {
        body = undefined;
      }
    }
    const errors = this.#errorsOf(body, raw.text, raw.status);
    if ((raw.status >= 200 && raw.status < 300) || opts.acceptStatus?.includes(raw.status)) {
      return { status: raw.status, body, errors };
    }
    throw this.#statusError(raw.status, errors, what, vaultPath, raw.retryAfter);
  }

  #send(
    requestPath: string,
    method: string,
    headers: Record<string, string>,
    payload: string | undefined,
    timeoutMs: number,
  ): Promise<{ status: number; text: string; retryAfter: string | undefined }> {
    return new Promise((resolve, reject) => {
      const mod = this.#isHttps ? https : http;
      const { protocol, hostname, port } = this.#origin;
      const target = { protocol, hostname, port, path: requestPath };
      const req = mod.request({ ...target, method, headers, agent: this.#agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          clearTimeout(timer);
          const ra = res.headers["retry-after"];
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString("utf8"),
            retryAfter: Array.isArray(ra) ? ra[0] : ra,
          });
        });
        res.on("aborted", () =>
          req.destroy(Object.assign(new Error("aborted"), { code: "ECONNRESET" })),
        );
        res.on("error", (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
      const timer = setTimeout(() => {
        req.destroy(Object.assign(new Error("request timed out"), { code: "ETIMEDOUT" }));
      }, timeoutMs);
      req.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(payload);
    });
  }

  #log(
    method: string,
    url: string,
    headers: Record<string, string>,
    outcome: string,
    started: number,
  ): void {
    if (!this.#debug) return;
    const shown = Object.entries(headers)
      .map(([k, v]) => `${k}: ${k.toLowerCase() === "x-vault-token" ? REDACTED : v}`)
      .join(", ");
    const ms = (performance.now() - started).toFixed(1);
    this.#debug(this.redact(`vault: ${method} ${url} [${shown}] → ${outcome} in ${ms} ms`));
  }

  /** Every error this client builds goes through here: message and hint lose the token. */
  #error(
    kind: VaultFailureKind,
    message: string,
    opts: ConstructorParameters<typeof VaultRequestError>[2],
  ): VaultRequestError {
    const hint = opts.hint === undefined ? {} : { hint: this.redact(opts.hint) };
    return new VaultRequestError(kind, this.redact(message), { ...opts, ...hint });
  }

  #errorsOf(body: unknown, text: string, status: number): string[] {
    if (body && typeof body === "object" && "errors" in body && Array.isArray(body.errors)) {
      return body.errors.map((e) => this.redact(String(e)));
    }
    if (status >= 300 && text.trim()) return [this.redact(text.trim().slice(0, 200))];
    return [];
  }

  #statusError(
    status: number,
    errors: string[],
    what: string,
    vaultPath: string,
    retryAfter: string | undefined,
  ): VaultRequestError {
    const said = errors.length ? `: ${errors.join("; ")}` : "";
    const opts = { status, errors };
    if (status === 403) {
      const hint = this.config.token
        ? `the token (from ${this.config.tokenSource}) needs a policy that allows ${vaultPath}`
        : "no Vault token: set VAULT_TOKEN or run `vault login` (writes ~/.vault-token)";
      return this.#error("denied", `permission denied: Vault refused ${what} (403)`, {
        ...opts,
        hint,
      });
    }
    if (status === 503 && errors.some((e) => /sealed/i.test(e))) {
      return this.#error("sealed", `Vault at ${this.addr} is sealed`, {
        ...opts,
        hint: "unseal it (`breakglass unseal`) and run the command again",
      });
    }
    if (status === 503) {
      return this.#error(
        "unavailable",
        `Vault at ${this.addr} is unavailable (503${said}) for ${what}`,
        { ...opts, hint: "a standby without an active node? `breakglass status` tells" },
      );
    }
    if (status === 429) {
      const seconds = retryAfter === undefined ? NaN : Number(retryAfter);
      return this.#error("rate_limited", `rate limited by Vault (429) on ${what}`, {
        ...opts,
        ...(Number.isFinite(seconds) ? { retryAfterMs: seconds * 1000 } : {}),
      });
    }
    if (status === 404) {
      return this.#error("not_found", `not found: ${what} (404${said})`, opts);
    }
    if (status >= 500) {
      return this.#error("server", `Vault failed ${what} (${status}${said})`, opts);
    }
    return this.#error("bad_request", `Vault rejected ${what} (${status}${said})`, opts);
  }

  #networkError(err: unknown, what: string, timeoutMs: number): VaultRequestError {
    const e = err as NodeJS.ErrnoException;
    const code = e.code ?? "";
    if (code === "ETIMEDOUT") {
      return this.#error(
        "timeout",
        `Vault at ${this.addr} did not answer ${what} within ${timeoutMs / 1000} s`,
        { hint: "VAULT_CLIENT_TIMEOUT sets the limit" },
      );
    }
    if (isTlsCode(code)) {
      return this.#error(
        "tls",
        `TLS error talking to Vault at ${this.addr}: ${this.redact(code || e.message)}`,
        {
          hint: "set VAULT_CACERT to the CA that signed Vault's certificate (VAULT_SKIP_VERIFY=1 only to test)",
        },
      );
    }
    const reason = NETWORK_CODES.has(code) ? code : this.redact(code || e.message || "error");
    return this.#error("unreachable", `cannot reach Vault at ${this.addr} (${reason})`, {
      hint: "check VAULT_ADDR and that Vault is running and reachable",
    });
  }
}
