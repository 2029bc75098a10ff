// The one way a Vault API path is built: a fixed endpoint written in the code ("sys/seal",
// "sys/leases/revoke-prefix") plus, at most, one value from outside (a lease prefix, an audit
// device) that is checked and percent-encoded segment by segment, so that no value can make the
// request reach another endpoint. VaultClient.request takes only a VaultApiPath, so every call
// goes through here. Namespaces (the X-Vault-Namespace header, which Vault prepends to the path)
// are checked by the same rules.
// Refused, with a UsageError that names the value and where it came from: an empty value, "." and
// ".." segments (URL handling resolves them: "x/../../../sys/seal" is PUT sys/seal), empty
// segments ("a//b", a leading "/"), backslashes (some proxies read them as "/"), "%" (a proxy or
// Vault may decode %2e%2e into ".."), "?" and "#" (they end the path), control characters, and
// anything whose Unicode compatibility form (NFKC: "．．" → "..") would be one of these.
// Pure; the token never reaches a message: callers pass the client's redact.
import { UsageError } from "../errors.js";

declare const vaultApiPathBrand: unique symbol;
/** A path after /v1/, safe to send as is: built only by vaultApiPath. */
export type VaultApiPath = string & { readonly [vaultApiPathBrand]: true };

export interface PathValue {
  /** What the value is, for messages: "lease prefix", "audit device". */
  name: string;
  value: string;
  /** Where it came from, for messages: "stdin line 3", "--audit-device". */
  where?: string | undefined;
  /** A trailing "/" is part of the value (a lease prefix); otherwise one is dropped. */
  keepTrailingSlash?: boolean;
  /** Scrubs the Vault token out of messages (VaultClient.redact). */
  redact?: ((text: string) => string) | undefined;
}

/** Endpoints are code, not input: lower-case words, digits, "-" and "_", joined by "/". */
const ENDPOINT = /^[a-z0-9_-]+(\/[a-z0-9_-]+)*$/;
// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const SAFE_SEGMENTS_HINT =
  'a value in a Vault path may not be empty, have "." or ".." or empty segments ("a//b", a leading "/"), ' +
  "or contain a backslash, %, ?, # or a control character";

/** A value quoted for a message: JSON escapes, plus the controls and separators JSON leaves raw. */
export function quoteValue(value: string): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Why `segments` are unsafe, or undefined when they are fine. */
function segmentProblem(segments: readonly string[]): string | undefined {
  for (const seg of segments) {
    if (seg === "") return 'has an empty segment ("a//b" or a leading "/")';
    if (seg === "." || seg === "..") return `has a ${quoteValue(seg)} segment`;
  }
  return undefined;
}

function charProblem(text: string): string | undefined {
  if (CONTROL.test(text)) return "contains a control character";
  if (text.includes("\\")) return "contains a backslash";
  if (text.includes("%")) return 'contains "%" (percent-encoding such as %2e%2e could become "..")';
  if (text.includes("?")) return 'contains "?"';
  if (text.includes("#")) return 'contains "#"';
  return undefined;
}

/** Why `text` (already stripped of the slashes the caller allows) is unsafe, else undefined. */
function valueProblem(text: string): string | undefined {
  if (text === "") return "is empty";
  const raw = charProblem(text) ?? segmentProblem(text.split("/"));
  if (raw) return raw;
  const compat = text.normalize("NFKC");
  if (compat === text) return undefined;
  const disguised = charProblem(compat) ?? segmentProblem(compat.split("/"));
  return disguised && `${disguised} once Unicode look-alikes are read as ASCII (NFKC)`;
}

function refuse(v: PathValue, problem: string, context: string): never {
  const where = v.where ? `${v.where}: ` : "";
  const message = `${where}${v.name} ${quoteValue(v.value)} ${problem}; refused ${context}`;
  throw new UsageError(v.redact ? v.redact(message) : message, SAFE_SEGMENTS_HINT);
}

/**
 * `endpoint` (fixed, from the code) plus the checked, percent-encoded `value`:
 * vaultApiPath("sys/leases/revoke-prefix", {name: "lease prefix", value: "db/creds/"})
 * → "sys/leases/revoke-prefix/db/creds/". Throws UsageError for an unsafe value.
 */
export function vaultApiPath(endpoint: string, value?: PathValue): VaultApiPath {
  if (!ENDPOINT.test(endpoint)) throw new Error(`not a fixed Vault endpoint: ${endpoint}`);
  if (value === undefined) return endpoint as VaultApiPath;
  let text = value.value;
  const trailingSlash = text.endsWith("/") && text.length > 1;
  if (trailingSlash) text = text.slice(0, -1);
  const problem = valueProblem(text);
  if (problem) refuse(value, problem, `so that the request cannot leave ${endpoint}/`);
  const encoded = text
    .split("/")
    .map((seg) => encodeURIComponent(seg))
    .join("/");
  const path = `${endpoint}/${encoded}${trailingSlash && value.keepTrailingSlash ? "/" : ""}`;
  // What the checks above guarantee, checked once more against WHATWG URL parsing (which is
  // what Node, proxies and Vault's router do to a path): it must come out unchanged.
  if (new URL(`http://vault.invalid/v1/${path}`).pathname !== `/v1/${path}`) {
    throw new Error(`vaultApiPath: ${quoteValue(path)} would be rewritten by URL parsing`);
  }
  return path as VaultApiPath;
}

/**
 * A namespace for X-Vault-Namespace, normalised ("/ns1/child/" → "ns1/child"; "", "root" → ""
 * for the root namespace) and checked by the same rules as a path value.
 */
export function vaultNamespace(v: PathValue): string {
  const trimmed = v.value.replace(/^\/+|\/+$/g, "");
  if (trimmed === "" || trimmed === "root") return "";
  const problem = valueProblem(trimmed);
  if (problem) refuse(v, problem, "as a Vault namespace");
  return trimmed;
}

/** "PUT /v1/sys/leases/revoke-prefix/db/creds/": the request line, as a dry run shows it. */
export function requestLine(method: string, path: VaultApiPath): string {
  return `${method} /v1/${path}`;
}
