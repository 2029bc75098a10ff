// The audit HMAC of a value, as Vault's audit devices compute it: "hmac-sha256:" + hex(HMAC-SHA256(
// key = the device's salt, message = the plaintext)). Pure; safe in workers.
import { createHmac } from "node:crypto";

export const HMAC_PREFIX = "hmac-sha256:";

export function auditHmac(salt: string, plaintext: string): string {
  return HMAC_PREFIX + createHmac("sha256", salt).update(plaintext, "utf8").digest("hex");
}

/** True for a well-formed audit HMAC string (the prefix and 64 lowercase hex digits). */
export function isAuditHmac(value: string): boolean {
  return (
    value.length === 76 && value.startsWith(HMAC_PREFIX) && /^[0-9a-f]{64}$/.test(value.slice(12))
  );
}
