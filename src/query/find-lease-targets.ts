// `revoke --query`: the leases a query finds, each with the namespace its audit entry recorded.
// A query that does not end in `| leases` gets it appended. On the local index or ClickHouse.
import type { BackendTarget } from "../backend/backend-url.js";
import { openQuerySource } from "../index-api.js";
import type { LeaseTarget } from "../vault/revoke-leases.js";
import { runQuery } from "./run-query.js";

export async function* findLeaseTargets(
  dbDir: string,
  query: string,
  opts: { salt?: string; auditDevice?: string } = {},
  backend: BackendTarget = { kind: "local" },
): AsyncGenerator<LeaseTarget> {
  const index = await openQuerySource(backend, dbDir, opts);
  try {
    const trimmed = query.trim();
    const text = /\|\s*leases\s*$/i.test(trimmed) ? trimmed : `${trimmed} | leases`;
    const run = await runQuery(index.engine, text);
    for await (const item of run.items) {
      if (item.kind !== "lease") continue;
      yield item.namespace === null
        ? { leaseId: item.lease }
        : { leaseId: item.lease, namespace: item.namespace };
    }
  } finally {
    await index.close();
  }
}
