// What `breakglass index` prints: the first bad lines and any unreadable file on stderr, the
// summary line on stderr (or, with --json, one object on stdout); exit 3 with --strict on bad lines.
// Ctrl-C stops reading, commits what was parsed and says how to resume.
import { ExitCode, InputError } from "../errors.js";
import { indexFiles } from "../ingest/index-files.js";
import { progressBar } from "./progress-bar.js";

export interface RunIndexFlags {
  prefix?: string;
  strict?: boolean;
  json?: boolean;
  workers?: number;
  progress?: boolean;
}

export async function runIndex(
  dbDir: string,
  paths: string[],
  flags: RunIndexFlags,
): Promise<void> {
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once("SIGINT", onSigint);
  process.once("SIGTERM", onSigint);
  const bar = progressBar(flags.progress !== false, "indexing");
  let summary;
  try {
    summary = await indexFiles(dbDir, paths, {
      prefix: flags.prefix,
      workers: flags.workers,
      onProgress: (done, total) => bar.update(done, total),
      signal: abort.signal,
    });
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
  if (summary.detectedPrefix !== undefined && flags.prefix === undefined) {
    err.write(
      `note: stripped the device prefix ${JSON.stringify(summary.detectedPrefix)} (detected)\n`,
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
      `${summary.bytes} bytes in ${summary.seconds.toFixed(2)} s (${mbps.toFixed(1)} MB/s)\n`,
  );
  if (flags.json) {
    const { files, records, badLines, bytes, seconds } = summary;
    process.stdout.write(JSON.stringify({ files, records, badLines, bytes, seconds }) + "\n");
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
