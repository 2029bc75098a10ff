// Break glass: seal Vault, unseal it share by share, and report its state. sys/seal needs a
// token with sudo; sys/unseal, sys/seal-status and sys/health need none. Unseal keys travel in
// request bodies, which the client never logs.
import { vaultApiPath } from "./vault-api-path.js";
import type { VaultClient } from "./vault-client.js";

const SEAL = vaultApiPath("sys/seal");
const SEAL_STATUS = vaultApiPath("sys/seal-status");
const UNSEAL = vaultApiPath("sys/unseal");
const HEALTH = vaultApiPath("sys/health");

export interface SealStatus {
  sealed: boolean;
  /** Threshold: shares needed. */
  t: number;
  /** Shares in total. */
  n: number;
  progress: number;
  initialized: boolean;
  type: string | undefined;
  version: string | undefined;
  clusterName: string | undefined;
}

export interface HealthStatus {
  /** HTTP status of sys/health: 200 active, 429 standby, 472 DR secondary, 473 perf standby,
   * 501 not initialised, 503 sealed. */
  status: number;
  initialized: boolean;
  sealed: boolean;
  standby: boolean;
  version: string | undefined;
}

function toSealStatus(body: unknown): SealStatus {
  const b = (body ?? {}) as Record<string, unknown>;
  const num = (v: unknown): number => (typeof v === "number" ? v : 0);
  const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
  return {
    sealed: b.sealed === true,
    t: num(b.t),
    n: num(b.n),
    progress: num(b.progress),
    initialized: b.initialized !== false,
    type: str(b.type),
    version: str(b.version),
    clusterName: str(b.cluster_name),
  };
}

export async function sealVault(client: VaultClient): Promise<void> {
  await client.request("PUT", SEAL, { namespace: "" });
}

export async function sealStatus(client: VaultClient): Promise<SealStatus> {
  const res = await client.request("GET", SEAL_STATUS, {
    namespace: "",
    authenticated: false,
  });
  return toSealStatus(res.body);
}

/** Submits one key share; the answer says how far unsealing got ("progress of t"). */
export async function submitUnsealKey(client: VaultClient, key: string): Promise<SealStatus> {
  const res = await client.request("PUT", UNSEAL, {
    body: { key },
    namespace: "",
    authenticated: false,
  });
  return toSealStatus(res.body);
}

/** Discards the shares entered so far. */
export async function resetUnseal(client: VaultClient): Promise<SealStatus> {
  const res = await client.request("PUT", UNSEAL, {
    body: { reset: true },
    namespace: "",
    authenticated: false,
  });
  return toSealStatus(res.body);
}

export async function vaultHealth(client: VaultClient): Promise<HealthStatus> {
  const res = await client.request("GET", HEALTH, {
    namespace: "",
    authenticated: false,
    acceptStatus: [429, 472, 473, 474, 501, 503, 530],
  });
  const b = (res.body ?? {}) as Record<string, unknown>;
  return {
    status: res.status,
    initialized: b.initialized !== false,
    sealed: b.sealed === true,
    standby: b.standby === true,
    version: typeof b.version === "string" ? b.version : undefined,
  };
}
