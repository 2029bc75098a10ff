// `leases`: the distinct lease ids (response.secret.lease_id) of the matched entries, in order of
// first appearance, each with the namespace path of the entry that issued it (the revoker revokes
// in that namespace). Streams: a lease is emitted the moment it is first seen. Memory: one Set
// entry per distinct lease.
import { valuesAtPath } from "../../audit/audit-entry.js";
import { recordFieldValues } from "../field-values.js";
import type { MatchedRecord } from "../matched-record.js";
import type { StageOutput } from "../stage-output.js";
import { expectRecord } from "./expect-record.js";

/** The `lease` field, as a stage refers to it. */
export const LEASE = { kind: "field", name: "lease", catalog: true, offset: 0 } as const;

/** A lease as the stage emits it, with the namespace of the entry `record` (null: root). */
export function leaseItem(lease: string, record: MatchedRecord): StageOutput {
  const ns = valuesAtPath(record.entry(), "request.namespace.path")[0];
  return { kind: "lease", lease, namespace: typeof ns === "string" && ns !== "" ? ns : null };
}

export async function* leasesStage(input: AsyncIterable<StageOutput>): AsyncIterable<StageOutput> {
  const seen = new Set<string>();
  for await (const item of input) {
    const record = expectRecord(item, "leases");
    for (const lease of recordFieldValues(record, LEASE)) {
      if (typeof lease !== "string" || seen.has(lease)) continue;
      seen.add(lease);
      yield leaseItem(lease, record);
    }
  }
}
