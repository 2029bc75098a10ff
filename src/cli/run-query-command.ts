// What `breakglass query` does: open the index (or ClickHouse, with --backend), run the pipeline, stream the results to stdout in
// the chosen format; the plan (with --explain) and notes (entries with no time, when the query
// tests time; segments indexed without a field it reads) on stderr; exit 1 with -e when nothing
// matched.
import { ExitCode } from "../errors.js";
import type { BackendTarget } from "../backend/backend-url.js";
import { openQuerySource } from "../index-api.js";
import { defaultFormat, type OutputFormat } from "../output/output-format.js";
import { writeOutput } from "../output/write-output.js";
import { runQuery } from "../query/run-query.js";

export interface QueryFlags {
  format?: OutputFormat;
  limit?: number;
  exitStatus?: boolean;
  explain?: boolean;
  salt?: string;
  auditDevice?: string;
}

export async function runQueryCommand(
  dbDir: string,
  text: string,
  flags: QueryFlags,
  backend: BackendTarget = { kind: "local" },
): Promise<void> {
  const index = await openQuerySource(backend, dbDir, {
    salt: flags.salt,
    auditDevice: flags.auditDevice,
  });
  try {
    const run = await runQuery(index.engine, text, {
      limit: flags.limit,
      collectStats: flags.explain,
    });
    const format = defaultFormat(run.stages, flags.format);
    const { emitted } = await writeOutput(run.items, format, process.stdout, {
      width: process.stdout.columns,
    });
    if (flags.explain) {
      process.stderr.write((await index.engine.explain(run.prepared, run.stats)) + "\n");
    } else {
      const note = await index.engine.note(run.prepared);
      if (note) process.stderr.write(note + "\n");
    }
    if (flags.exitStatus && emitted === 0) process.exitCode = ExitCode.noMatch;
  } finally {
    await index.close();
  }
}
