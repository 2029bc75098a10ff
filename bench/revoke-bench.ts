// How fast `revoke` empties Vault: 10,000 leases against the fake Vault on loopback (test/helpers),
// journaled like the CLI does, at several concurrencies and with/without the journal's fsync.
// Prints a table; the default row (concurrency 8, fsync) is what `breakglass revoke` does.
// Run: npx tsc -p tsconfig.json && node dist/bench/revoke-bench.js [LEASES] [LATENCY_MS]
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { RevokeJournal } from "../src/vault/revoke-journal.js";
import { revokeLeases } from "../src/vault/revoke-leases.js";
import { VaultClient } from "../src/vault/vault-client.js";
import { resolveVaultConfig } from "../src/vault/vault-config.js";
import { FakeVault } from "../test/helpers/fake-vault-server.js";

const LEASES = Number(process.argv[2] ?? 10_000);
/** Simulated Vault service time per call; a real revoke that reaches a database takes ms. */
const LATENCY_MS = Number(process.argv[3] ?? 0);

interface Row {
  concurrency: number;
  fsync: boolean;
  seconds: number;
}

async function once(concurrency: number, fsync: boolean): Promise<Row> {
  const vault = await FakeVault.start({
    ...(LATENCY_MS ? { faults: { latencyMs: LATENCY_MS } } : {}),
  });
  const dir = await mkdtemp(path.join(os.tmpdir(), "bg-revoke-bench-"));
  const ids = Array.from({ length: LEASES }, (_, i) => `database/creds/app/${i}`);
  for (const id of ids) vault.addLease(id);
  const config = await resolveVaultConfig({ VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.rootToken });
  const client = new VaultClient(config, { maxSockets: concurrency });
  const journal = await RevokeJournal.open(path.join(dir, "journal.ndjson"), { fsync });
  const t0 = performance.now();
  const summary = await revokeLeases(
    ids.map((leaseId) => ({ leaseId })),
    { client, journal, concurrency },
  );
  const seconds = (performance.now() - t0) / 1000;
  await journal.close();
  client.close();
  await vault.close();
  await rm(dir, { recursive: true });
  if (summary.revoked !== LEASES) throw new Error(`revoked ${summary.revoked} of ${LEASES}`);
  return { concurrency, fsync, seconds };
}

const rows: Row[] = [];
for (const [concurrency, fsync] of [
  [8, true],
  [1, true],
  [32, true],
  [8, false],
  [32, false],
] as const) {
  rows.push(await once(concurrency, fsync));
}
console.log(`revoke ${LEASES} leases, fake Vault on 127.0.0.1, +${LATENCY_MS} ms per call`);
console.log("concurrency | journal fsync | seconds | leases/s");
console.log("----------- | ------------- | ------- | --------");
for (const r of rows) {
  const rate = Math.round(LEASES / r.seconds);
  console.log(
    `${String(r.concurrency).padStart(11)} | ${(r.fsync ? "yes" : "no").padEnd(13)} | ` +
      `${r.seconds.toFixed(2).padStart(7)} | ${String(rate).padStart(8)}`,
  );
}
