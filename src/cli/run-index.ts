// What `breakglass index` prints: the first bad lines and any unreadable file on stderr, the
// summary line on stderr (or, with --json, one object on stdout); exit 3 with --strict on bad lines.
// A log of plaintext tokens (a log_raw device) is indexed, with a warning: the index holds secrets.
// Ctrl-C stops reading, commits what was parsed and says how to resume.
import { ExitCode, InputError } from "../errors.js";
import type { InputMode } from "../audit/framing/input-mode.js";
import type { BackendTarget } from "../backend/backend-url.js";
import { indexFiles, type IndexOptions } from "../ingest/index-files.js";
import { progressBar } from "./progress-bar.js";
import { waitingMessage } from "./waiting-message.js";

export interface RunIndexFlags {
  prefix?: string;
  input?: InputMode;
  strict?: boolean;
  json?: boolean;
  workers?: number;
  progress?: boolean;
  /** False with --no-wait: exit 3 if another process writes the index. */
  wait?: boolean;
  maxLineBytes?: number;
  /** The label of the records (field `device`). */
  device?: string;
}

/** The warning for logs that hold plaintext client tokens (once per run, every such file named). */
export function rawTokenWarning(files: readonly string[]): string {
  const names = files.join(", ");
  const holds = files.length === 1 ? "holds" : "hold";
  return (
    `${names} ${holds} plaintext tokens (a log_raw audit device): ` +
    "the index now holds live secrets; protect it like the log"
  );
}

export async function runIndex(
  dbDir: string,
  paths: string[],
  flags: RunIndexFlags,
  backend: BackendTarget = { kind: "local" },
): Promise<void> {
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once("SIGINT", onSigint);
  process.once("SIGTERM", onSigint);
  const bar = progressBar(flags.progress !== false, "indexing");
  let summary;
  try {
    const opts: IndexOptions = {
      prefix: flags.prefix,
      input: flags.input,
      workers: flags.workers,
      maxLineBytes: flags.maxLineBytes,
      device: flags.device,
      onProgress: (done, total) => bar.update(done, total),
      signal: abort.signal,
      wait: flags.wait,
      onWait: (holder) => process.stderr.write(`breakglass: ${waitingMessage(dbDir, holder)}\n`),
    };
    if (backend.kind === "clickhouse") {
      const { loadIntoClickhouse } = await import("../backend/clickhouse/clickhouse-loader.js");
      summary = await loadIntoClickhouse(backend, paths, opts);
    } else {
      summary = await indexFiles(dbDir, paths, opts);
    }
  } finally {
    bar.stop();
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
  }
  const err = process.stderr;
  for (const b of summary.firstBadLines) err.write(`${b.file}:${b.line}: ${b.reason}\n`);
  if (summary.badLines > summary.firstBadLines.length) {
    err.write(
      `… and ${summary.badLines - summary.firstBadLines.length} more bad lines (see \`breakglass stats\`)\n`,
    );
  }
  for (const e of summary.fileErrors) err.write(`breakglass: ${e}\n`);
  for (const n of summary.notes) err.write(`note: ${n}\n`);
  if (summary.rawTokenFiles.length > 0) {
    err.write(`warning: ${rawTokenWarning(summary.rawTokenFiles)}\n`);
  }
  if (summary.detectedPrefix !== undefined && flags.prefix === undefined) {
    err.write(
      `note: stripped the device prefix ${JSON.stringify(summary.detectedPrefix)} (detected)\n`,
    );
  }
  for (const f of summary.skippedFiles) {
    err.write(`note: skipped ${f}: no audit entry in its first 64 KiB (name it to index it)\n`);
  }
  if (summary.framings.some((f) => f !== "prefix")) {
    err.write(
      `note: framing ${summary.framings.filter((f) => f !== "prefix").join(", ")} (detected)\n`,
    );
  }
  if (summary.noTime > 0) {
    err.write(
      `note: ${summary.noTime} records have no time (missing or not RFC 3339): they are indexed, ` +
        "in no time range; `not exists time` lists them\n",
    );
  }
  const mbps = summary.bytes / 1e6 / Math.max(summary.seconds, 1e-6);
  err.write(
    `indexed ${summary.files} files, ${summary.records} records, ${summary.badLines} bad lines, ` +
      `${summary.bytes} bytes in ${summary.seconds.toFixed(2)} s (${mbps.toFixed(1)} MB/s)` +
      (summary.skippedLines > 0
        ? `; ${summary.skippedLines} lines skipped (not audit entries: a server's log)`
        : "") +
      "\n",
  );
  if (flags.json) {
    const { files, records, badLines, bytes, seconds, rawTokenFiles } = summary;
    const out = { files, records, badLines, bytes, seconds };
    const raw = rawTokenFiles.length > 0 ? { rawTokenFiles } : {};
    process.stdout.write(JSON.stringify({ ...out, ...raw }) + "\n");
  }
  if (summary.interrupted) {
    throw new InputError(
      "interrupted; what was committed is queryable",
      "run the same `breakglass index` again to finish",
    );
  }
  if (summary.fileErrors.length > 0) process.exitCode = ExitCode.input;
  if (flags.strict && summary.badLines > 0) {
    throw new InputError(`${summary.badLines} bad lines (--strict)`);
  }
}
