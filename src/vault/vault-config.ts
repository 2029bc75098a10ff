// Where Vault is and who we are to it, read the way the Vault CLI reads it: VAULT_ADDR (default
// https://127.0.0.1:8200), VAULT_TOKEN else ~/.vault-token, VAULT_NAMESPACE, VAULT_CACERT,
// VAULT_SKIP_VERIFY, VAULT_CLIENT_TIMEOUT, VAULT_MAX_RETRIES. Reads the environment and two small
// files once; no network.
// The token is wrapped in VaultToken so that it never reaches a log, a JSON dump or an error
// message by accident: only the HTTP client calls reveal(). It is never accepted as a flag.
// Like the Vault CLI, surrounding whitespace (a trailing newline, a Windows "\r\n") is trimmed
// from it; a token that still holds a control character cannot be sent as a header and is
// refused here, without being printed. VAULT_NAMESPACE / --namespace are checked like any value
// that reaches Vault's path (vault-api-path.ts).
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { UsageError } from "../errors.js";
import { vaultNamespace } from "./vault-api-path.js";

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

/** `text` with every occurrence of the token replaced by "[redacted]": as is, and
 * percent-encoded the ways a URL path carries it (whole, or segment by segment). */
export function redactToken(text: string, token: VaultToken | undefined): string {
  const value = token?.reveal();
  if (!value) return text;
  const forms = new Set([
    value,
    encodeURIComponent(value),
    value.split("/").map(encodeURIComponent).join("/"),
  ]);
  let out = text;
  for (const form of forms) out = out.split(form).join(REDACTED);
  return out;
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

/** The token in `raw` (from `source`), trimmed; undefined when blank. Never puts it in a message. */
function tokenFrom(raw: string | undefined, source: string): VaultToken | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  const hint = "a token is one line of printable characters (the token is not shown here)";
  const control = /[\u0000-\u001f\u007f-\u009f]/.exec(value);
  if (control) {
    throw new UsageError(
      `${source} contains a control character (character ${control.index + 1} of ${value.length})`,
      hint,
    );
  }
  const other = /[^\u0020-\u007e]/.exec(value);
  if (other) {
    throw new UsageError(
      `${source} contains a character that is not printable ASCII (character ${other.index + 1} of ${value.length})`,
      hint,
    );
  }
  return new VaultToken(value);
}

export async function resolveVaultConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: VaultConfigOverrides = {},
): Promise<VaultConfig> {
  const addr = normalizeVaultAddr(env.VAULT_ADDR || DEFAULT_VAULT_ADDR);

  let token = tokenFrom(env.VAULT_TOKEN, "VAULT_TOKEN");
  let tokenSource = token ? "VAULT_TOKEN" : undefined;
  if (!token) {
    const file = path.join(overrides.homeDir ?? os.homedir(), ".vault-token");
    token = tokenFrom(await readFile(file, "utf8").catch(() => undefined), "~/.vault-token");
    if (token) tokenSource = "~/.vault-token";
  }
  const redact = (text: string): string => redactToken(text, token);

  let caCert: string | undefined;
  if (env.VAULT_CACERT) {
    try {
      caCert = await readFile(env.VAULT_CACERT, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
      throw new UsageError(`VAULT_CACERT=${env.VAULT_CACERT} cannot be read (${code})`);
    }
  }

  const fromFlag = overrides.namespace !== undefined;
  const rawNamespace = overrides.namespace ?? (env.VAULT_NAMESPACE || undefined);
  const namespace =
    rawNamespace === undefined
      ? undefined
      : vaultNamespace({
          name: "namespace",
          value: rawNamespace,
          where: fromFlag ? "--namespace" : "VAULT_NAMESPACE",
          redact,
        });
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
