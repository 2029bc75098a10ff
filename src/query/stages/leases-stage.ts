// `leases`: the distinct lease ids (response.secret.lease_id) of the matched entries, in order of
// first appearance, each with the namespace path of the entry that issued it (the revoker revokes
// in that namespace). Streams: a lease is emitted the moment it is first seen. Memory: one Set
// entry per distinct lease.
import { valuesAtPath } from "../../audit/audit-entry.js";
import { recordFieldValues } from "../field-values.js";
import type { StageOutput } from "../stage-output.js";
import { expectRecord } from "./expect-record.js";

const LEASE = { kind: "field", name: "lease", catalog: true, offset: 0 } as const;

export async function* leasesStage(input: AsyncIterable<StageOutput>): AsyncIterable<StageOutput> {
  const seen = new Set<string>();
  for await (const item of input) {
    const record = expectRecord(item, "leases");
    for (const lease of recordFieldValues(record, LEASE)) {
      if (typeof lease !== "string" || seen.has(lease)) continue;
      seen.add(lease);
      const ns = valuesAtPath(record.entry(), "request.namespace.path")[0];
      yield { kind: "lease", lease, namespace: typeof ns === "string" && ns !== "" ? ns : null };
    }
  }
}
