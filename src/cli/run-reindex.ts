// What `breakglass index --reindex` prints: a summary line on stderr (or, with --json, one object
// on stdout). Ctrl-C stops between segments; what was rebuilt stays, and a rerun does the rest.
import { InputError } from "../errors.js";
import { reindexIndex } from "../ingest/reindex-index.js";
import { waitingMessage } from "./waiting-message.js";

export interface RunReindexFlags {
  json?: boolean;
  /** False with --no-wait: exit 3 if another process writes the index. */
  wait?: boolean;
}

export async function runReindex(dbDir: string, flags: RunReindexFlags): Promise<void> {
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once("SIGINT", onSigint);
  process.once("SIGTERM", onSigint);
  let summary;
  try {
    summary = await reindexIndex(dbDir, {
      signal: abort.signal,
      wait: flags.wait,
      onWait: (holder) => process.stderr.write(`breakglass: ${waitingMessage(dbDir, holder)}\n`),
    });
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
  }
  const { segments, stale, rebuilt, records, seconds } = summary;
  process.stderr.write(
    stale === 0
      ? `reindexed nothing: all ${segments} segments are indexed with this catalog\n`
      : `reindexed ${rebuilt} of ${stale} stale segments (${segments} in the index), ` +
          `${records} records in ${seconds.toFixed(2)} s\n`,
  );
  if (flags.json) {
    process.stdout.write(JSON.stringify({ segments, stale, rebuilt, records, seconds }) + "\n");
  }
  if (summary.interrupted) {
    throw new InputError(
      "interrupted; the segments rebuilt so far are kept",
      "run `breakglass index --reindex` again to finish",
    );
  }
}
