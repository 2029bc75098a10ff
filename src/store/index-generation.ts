// Has the index changed since I looked? LMDB's last committed transaction id, read from the
// environment's shared lock file, so a commit by another process (`index`, `listen`,
// `index --follow`) shows here too. Cost: one stat call on the environment (~µs), cheap enough to
// ask on every request of a long-running reader (serve).
import type { IndexEnv } from "./index-env.js";

/** A number that grows with every commit to the index (by any process). */
export function indexGeneration(env: IndexEnv): number {
  const stats = env.root.getStats() as { lastTxnId?: number };
  return stats.lastTxnId ?? 0;
}
