// How long do the heavy queries take, and how much memory do they hold? Each runs once as a whole
// `breakglass query` child (Node startup included) with its peak RSS (measure.ts: /usr/bin/time,
// else /proc polling); stdout is counted, not kept (a full sort prints the whole log):
// - `* | sort time | limit 5`: a bounded heap of 5;
// - `* | sort time`: keys and record ids held, records read back in order;
// - `* | pair`: partners from bulk passes over the request_id dictionary;
// - `request_id in (… | limit N | distinct request_id) | count`: N values from a subquery, looked
//   up in one merged pass a segment.
// Before these were fixed, on the 1 GiB index: sort 35 s and 4.16 GB, pair over 5 minutes, a 28k-
// value subquery 29 s.
import { runMeasured } from "./measure.js";

export interface HeavyQuery {
  readonly query: string;
  readonly what: string;
  readonly wallMs: number;
  readonly peakRssBytes: number | undefined;
  readonly outputLines: number;
  readonly outputBytes: number;
  /** What a `| count` query printed. */
  readonly count: number | undefined;
}

/** The heavy queries, with `values` request ids in the subquery. */
export function heavyQueries(values: number): { query: string; what: string }[] {
  return [
    { query: "* | sort time | limit 5", what: "top-5 heap" },
    { query: "* | sort time", what: "full sort: keys and ids, records read back" },
    { query: "* | pair", what: "bulk partner lookups" },
    {
      query:
        `request_id in (* | distinct request_id | limit ${values} | distinct request_id)` +
        " | count",
      what: `an in-subquery of ${values.toLocaleString("en-US")} values`,
    },
  ];
}

export async function measureHeavyQueries(
  bin: string,
  db: string,
  values: number,
): Promise<HeavyQuery[]> {
  const out: HeavyQuery[] = [];
  for (const { query, what } of heavyQueries(values)) {
    process.stderr.write(`  '${query}' …\n`);
    const counts = query.endsWith("| count");
    const run = await runMeasured(process.execPath, [bin, "query", "--db", db, query], {
      peakRss: true,
      countStdout: !counts,
    });
    if (run.code !== 0) throw new Error(`query ${query} exited ${run.code}:\n${run.stderr}`);
    out.push({
      query,
      what,
      wallMs: run.wallMs,
      peakRssBytes: run.peakRssBytes,
      outputLines: run.stdoutLines,
      outputBytes: run.stdoutBytes,
      count: counts ? Number(run.stdout.trim()) : undefined,
    });
  }
  return out;
}
