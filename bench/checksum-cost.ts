// What do the index's checksums cost a read? Times, on an index already built from `--log`:
// single record fetches (random ids, so nearly every one reads a block part not yet cached),
// term lookups (`ip = X | count`: a directory and one term page per segment, no record read) and
// whole point lookups with their records (`ip = X`). Run it on an index built by the code before
// a format change and by the code after, with the same log:
//   node dist/bench/checksum-cost.js --db DIR --log FILE [--rounds 400]
// Prints one JSON object: wall-time medians and p90s, and CPU time per operation (user + system
// of the whole process over the series: steadier than wall time on a shared machine), all in µs.
import { parseArgs } from "node:util";
import { mulberry32 } from "../src/demo/seeded-random.js";
import { openIndex } from "../src/index-api.js";
import { runQuery } from "../src/query/run-query.js";
import { sampleValues } from "./sample-values.js";

function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

const round = (us: number): number => Math.round(us * 10) / 10;

function summary(
  samplesUs: number[],
  cpuUs: number,
): { p50Us: number; p90Us: number; cpuUsPerOp: number } {
  return {
    p50Us: round(quantile(samplesUs, 0.5)),
    p90Us: round(quantile(samplesUs, 0.9)),
    cpuUsPerOp: round(cpuUs / samplesUs.length),
  };
}

/** CPU time (user + system, µs) the process has used so far. */
function cpuNow(): number {
  const used = process.cpuUsage();
  return used.user + used.system;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      db: { type: "string" },
      log: { type: "string" },
      rounds: { type: "string", default: "400" },
    },
  });
  if (!values.db || !values.log) throw new Error("usage: checksum-cost --db DIR --log FILE");
  const rounds = Number(values.rounds);
  const ips = sampleValues(values.log, 40).ip;
  const index = openIndex(values.db);
  try {
    const random = mulberry32(7);
    const fetchUs: number[] = [];
    let cpu = cpuNow();
    for (let i = 0; i < rounds * 10; i++) {
      if (i === rounds) cpu = cpuNow();
      const id = Math.floor(random() * index.recordCount);
      const t0 = performance.now();
      index.line(id);
      if (i >= rounds) fetchUs.push((performance.now() - t0) * 1000);
    }
    const fetchCpu = cpuNow() - cpu;
    const query = async (text: string): Promise<{ us: number; records: number }> => {
      const t0 = performance.now();
      const run = await runQuery(index.engine, text);
      let records = 0;
      for await (const item of run.items) if (item.kind === "record") records++;
      return { us: (performance.now() - t0) * 1000, records };
    };
    const termUs: number[] = [];
    const lookupUs: number[] = [];
    let termCpu = 0;
    let lookupCpu = 0;
    let records = 0;
    for (let i = 0; i < rounds; i++) {
      const ip = JSON.stringify(ips[i % ips.length]!);
      const c0 = cpuNow();
      const term = await query(`ip = ${ip} | count`);
      const c1 = cpuNow();
      const lookup = await query(`ip = ${ip}`);
      const c2 = cpuNow();
      if (i >= 20) {
        termCpu += c1 - c0;
        lookupCpu += c2 - c1;
        termUs.push(term.us);
        lookupUs.push(lookup.us);
        records += lookup.records;
      }
    }
    const perLookup = records / lookupUs.length;
    process.stdout.write(
      JSON.stringify(
        {
          records: index.recordCount,
          recordFetch: summary(fetchUs, fetchCpu),
          ipCountFromTerms: summary(termUs, termCpu),
          ipLookupWithRecords: {
            ...summary(lookupUs, lookupCpu),
            recordsPerLookup: Math.round(perLookup),
          },
        },
        null,
        2,
      ) + "\n",
    );
  } finally {
    await index.close();
  }
}

await main();
