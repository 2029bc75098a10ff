// The audit HMAC of a plaintext, as the audit log stores it: computed locally when the device's
// salt is known ($BREAKGLASS_AUDIT_SALT, --salt-file FILE, or --salt S, which shows in `ps` and
// shell history), else asked of Vault's sys/audit-hash/<device> (default device "file"), which
// knows the salt and never reveals it. The device name goes into the URL path only through
// vault-api-path.ts (".." and the like are refused).
// The query engine's hash("…") calls resolveAuditHash; several values go through
// resolveAuditHashes, which asks Vault a few at a time over one keep-alive connection pool.
import { readFile } from "node:fs/promises";
import { auditHmac } from "../audit/audit-hmac.js";
import { InputError, UsageError, VaultError } from "../errors.js";
import { vaultApiPath, type VaultApiPath } from "./vault-api-path.js";
import { VaultClient } from "./vault-client.js";
import { resolveVaultConfig } from "./vault-config.js";

export const DEFAULT_AUDIT_DEVICE = "file";
/** Parallel sys/audit-hash calls for a batch; these are tiny requests. */
const HASH_CONCURRENCY = 8;

export interface AuditHashOptions {
  /** The audit device's salt; default $BREAKGLASS_AUDIT_SALT. With neither, Vault is asked. */
  salt?: string;
  /** The audit device path for sys/audit-hash (default "file"). */
  device?: string;
  /** The client to ask; default one built from the VAULT_* environment (closed afterwards). */
  client?: VaultClient;
}

function saltOf(opts: AuditHashOptions): string | undefined {
  return opts.salt ?? (process.env.BREAKGLASS_AUDIT_SALT || undefined);
}

/** The salt in `file`: its text less one trailing newline. Unreadable or empty: InputError. */
export async function readAuditSaltFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new InputError(`cannot read the salt file ${file} (${code})`);
  }
  const salt = text.replace(/\r?\n$/, "");
  if (salt === "") throw new InputError(`the salt file ${file} is empty`);
  return salt;
}

/** --salt-file FILE or --salt S (not both); undefined when neither is given. */
export async function saltFromFlags(flags: {
  salt?: string | undefined;
  saltFile?: string | undefined;
}): Promise<string | undefined> {
  if (flags.saltFile === undefined) return flags.salt;
  if (flags.salt !== undefined) throw new UsageError("--salt and --salt-file do not go together");
  return readAuditSaltFile(flags.saltFile);
}

/** sys/audit-hash/<device>, the device checked (surrounding slashes dropped: "file/" is "file"). */
function auditHashPath(client: VaultClient, device: string): VaultApiPath {
  return vaultApiPath("sys/audit-hash", {
    name: "audit device",
    value: device.replace(/^\/+|\/+$/g, ""),
    redact: client.redact,
  });
}

async function askVault(
  client: VaultClient,
  path: VaultApiPath,
  plaintext: string,
): Promise<string> {
  const res = await client.request("POST", path, { body: { input: plaintext } });
  const body = res.body as { hash?: unknown; data?: { hash?: unknown } } | undefined;
  const hash = body?.data?.hash ?? body?.hash;
  if (typeof hash !== "string") {
    throw new VaultError(client.redact(`Vault's ${path} answered without a "hash"`));
  }
  return hash;
}

export async function resolveAuditHash(
  plaintext: string,
  opts: AuditHashOptions = {},
): Promise<string> {
  const [hash] = await resolveAuditHashes([plaintext], opts);
  return hash ?? "";
}

/** The audit HMACs of several plaintexts, in the same order. */
export async function resolveAuditHashes(
  plaintexts: readonly string[],
  opts: AuditHashOptions = {},
): Promise<string[]> {
  const salt = saltOf(opts);
  if (salt !== undefined) return plaintexts.map((p) => auditHmac(salt, p));
  if (plaintexts.length === 0) return [];
  const client = opts.client ?? new VaultClient(await resolveVaultConfig());
  try {
    const path = auditHashPath(client, opts.device ?? DEFAULT_AUDIT_DEVICE);
    const out = new Array<string>(plaintexts.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < plaintexts.length) {
        const i = next++;
        out[i] = await askVault(client, path, plaintexts[i] ?? "");
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(HASH_CONCURRENCY, plaintexts.length) }, worker),
    );
    return out;
  } finally {
    if (!opts.client) client.close();
  }
}
