// `leases`: the distinct lease ids (response.secret.lease_id) of the matched entries, in order of
// first appearance, each with the namespace path of the entry that issued it (the revoker revokes
// in that namespace). Streams: a lease is emitted the moment it is first seen. Memory: one Set
// entry per distinct lease.
import { valuesAtPath, type AuditEntry } from "../../audit/audit-entry.js";
import { recordFieldValues } from "../field-values.js";
import type { MatchedRecord } from "../matched-record.js";
import type { StageOutput } from "../stage-output.js";
import { expectRecord } from "./expect-record.js";

/** The `lease` field, as a stage refers to it. */
export const LEASE = { kind: "field", name: "lease", catalog: true, offset: 0 } as const;

/** The namespace path a lease of `entry` is revoked in (null: the root namespace). */
export function leaseNamespace(entry: AuditEntry): string | null {
  const ns = valuesAtPath(entry, "request.namespace.path")[0];
  return typeof ns === "string" && ns !== "" ? ns : null;
}

/** A lease as the stage emits it, with the namespace of the entry `record` (null: root). */
export function leaseItem(lease: string, record: MatchedRecord): StageOutput {
  return { kind: "lease", lease, namespace: leaseNamespace(record.entry()) };
}

/** A record's leases as the stage reads them: its lease ids, each once, in entry order. */
export function recordLeases(record: MatchedRecord): string[] {
  return recordFieldValues(record, LEASE).filter((v): v is string => typeof v === "string");
}

export async function* leasesStage(input: AsyncIterable<StageOutput>): AsyncIterable<StageOutput> {
  const seen = new Set<string>();
  for await (const item of input) {
    const record = expectRecord(item, "leases");
    for (const lease of recordLeases(record)) {
      if (seen.has(lease)) continue;
      seen.add(lease);
      yield leaseItem(lease, record);
    }
  }
}
