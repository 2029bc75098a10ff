// Where Vault is and who we are to it, read the way the Vault CLI reads it: VAULT_ADDR (default
// https://127.0.0.1:8200), VAULT_TOKEN else ~/.vault-token, VAULT_NAMESPACE, VAULT_CACERT,
// VAULT_SKIP_VERIFY, VAULT_CLIENT_TIMEOUT, VAULT_MAX_RETRIES. Reads the environment and two small
// files once; no network.
// The token is wrapped in VaultToken so that it never reaches a log, a JSON dump or an error
// message by accident: only the HTTP client calls reveal(). It is never accepted as a flag.
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { UsageError } from "../errors.js";

export const DEFAULT_VAULT_ADDR = "https://127.0.0.1:8200";
/** Per-request limit; the Vault CLI's default (VAULT_CLIENT_TIMEOUT) is 60 s. */
export const DEFAULT_TIMEOUT_MS = 60_000;
export const REDACTED = "[redacted]";

/** A Vault token that prints as "[redacted]" under String(), JSON.stringify and util.inspect. */
export class VaultToken {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The secret itself: for the X-Vault-Token header and for scrubbing text, nothing else. */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}

export interface VaultConfig {
  /** Base address without a trailing slash, e.g. "https://vault.example.com:8200". */
  readonly addr: string;
  readonly token: VaultToken | undefined;
  /** Where the token came from, for hints ("VAULT_TOKEN", "~/.vault-token"); never the token. */
  readonly tokenSource: string | undefined;
  /** VAULT_NAMESPACE (or --namespace): overrides the namespace each lease recorded. */
  readonly namespace: string | undefined;
  /** PEM text of VAULT_CACERT, if set. */
  readonly caCert: string | undefined;
  readonly skipVerify: boolean;
  readonly timeoutMs: number;
  /** VAULT_MAX_RETRIES + 1 when set; callers keep their own default otherwise. */
  readonly maxAttempts: number | undefined;
}

export interface VaultConfigOverrides {
  /** --namespace: wins over VAULT_NAMESPACE. */
  namespace?: string;
  /** For tests: where ~/.vault-token is looked for. */
  homeDir?: string;
}

/** Go's strconv.ParseBool, which the Vault CLI uses for VAULT_SKIP_VERIFY. */
function parseGoBool(name: string, value: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False", ""].includes(value)) return false;
  throw new UsageError(
    `${name}=${JSON.stringify(value)} is not a boolean`,
    "use 1/true or 0/false",
  );
}

/** "30", "30s", "2m", "500ms" → milliseconds (VAULT_CLIENT_TIMEOUT accepts a bare number of seconds). */
function parseDurationMs(name: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new UsageError(`${name}=${JSON.stringify(value)} is not a duration`, "e.g. 30s");
  const n = Number(m[1]);
  const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"] ?? 1000;
  return Math.max(1, Math.round(n * unitMs));
}

export function normalizeVaultAddr(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.includes("://") ? raw : `https://${raw}`);
  } catch {
    throw new UsageError(
      `VAULT_ADDR=${JSON.stringify(raw)} is not a URL`,
      "e.g. https://vault:8200",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`VAULT_ADDR must be http:// or https://, not ${url.protocol}//`);
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

export async function resolveVaultConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: VaultConfigOverrides = {},
): Promise<VaultConfig> {
  const addr = normalizeVaultAddr(env.VAULT_ADDR || DEFAULT_VAULT_ADDR);

  let token: VaultToken | undefined;
  let tokenSource: string | undefined;
  const envToken = env.VAULT_TOKEN?.trim();
  if (envToken) {
    token = new VaultToken(envToken);
    tokenSource = "VAULT_TOKEN";
  } else {
    const file = path.join(overrides.homeDir ?? os.homedir(), ".vault-token");
    const text = await readFile(file, "utf8").catch(() => undefined);
    if (text?.trim()) {
      token = new VaultToken(text.trim());
      tokenSource = "~/.vault-token";
    }
  }

  let caCert: string | undefined;
  if (env.VAULT_CACERT) {
    try {
      caCert = await readFile(env.VAULT_CACERT, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
      throw new UsageError(`VAULT_CACERT=${env.VAULT_CACERT} cannot be read (${code})`);
    }
  }

  const namespace = overrides.namespace ?? (env.VAULT_NAMESPACE || undefined);
  const retries = env.VAULT_MAX_RETRIES ? Number(env.VAULT_MAX_RETRIES) : undefined;
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0)) {
    throw new UsageError(`VAULT_MAX_RETRIES=${env.VAULT_MAX_RETRIES} is not a whole number`);
  }
  return {
    addr,
    token,
    tokenSource,
    namespace,
    caCert,
    skipVerify: parseGoBool("VAULT_SKIP_VERIFY", env.VAULT_SKIP_VERIFY ?? ""),
    timeoutMs: env.VAULT_CLIENT_TIMEOUT
      ? parseDurationMs("VAULT_CLIENT_TIMEOUT", env.VAULT_CLIENT_TIMEOUT)
      : DEFAULT_TIMEOUT_MS,
    maxAttempts: retries === undefined ? undefined : retries + 1,
  };
}
