// The audit HMAC of a plaintext, as the audit log stores it: computed locally when the device's
// salt is known (--salt S or $BREAKGLASS_AUDIT_SALT), else asked of Vault's
// sys/audit-hash/<device> (default device "file"), which knows the salt and never reveals it.
// The query engine's hash("…") calls resolveAuditHash; several values go through
// resolveAuditHashes, which asks Vault a few at a time over one keep-alive connection pool.
import { auditHmac } from "../audit/audit-hmac.js";
import { VaultError } from "../errors.js";
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

async function askVault(client: VaultClient, device: string, plaintext: string): Promise<string> {
  const res = await client.request("POST", `sys/audit-hash/${device}`, {
    body: { input: plaintext },
  });
  const body = res.body as { hash?: unknown; data?: { hash?: unknown } } | undefined;
  const hash = body?.data?.hash ?? body?.hash;
  if (typeof hash !== "string") {
    throw new VaultError(`Vault's sys/audit-hash/${device} answered without a "hash"`);
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
  const device = (opts.device ?? DEFAULT_AUDIT_DEVICE).replace(/^\/+|\/+$/g, "");
  const client = opts.client ?? new VaultClient(await resolveVaultConfig());
  try {
    const out = new Array<string>(plaintexts.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < plaintexts.length) {
        const i = next++;
        out[i] = await askVault(client, device, plaintexts[i] ?? "");
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
