// What `breakglass compare` prints: every finding on stdout as it is found (NDJSON, or a table),
// a readable summary on stderr, and the exit status: 0 when the devices agree, 1 when they do not,
// 3 when a file could not be read (the comparison is then incomplete).
import { UsageError, InputError, ExitCode } from "../errors.js";
import type { InputMode } from "../audit/framing/input-mode.js";
import { defaultWorkers } from "../ingest/parse-pool.js";
import type { DeviceInput } from "../evidence/compare-device.js";
import { compareDevices, type CompareSummary } from "../evidence/compare-devices.js";
import {
  findingPlace,
  findingTime,
  placeText,
  type CompareFinding,
} from "../evidence/compare-finding.js";
import path from "node:path";

export interface CompareFlags {
  dbA?: string;
  dbB?: string;
  gap: number;
  format: "ndjson" | "table";
  input?: InputMode;
  workers?: number;
}

/** The two devices from the arguments: each a path (or glob) or an index directory. */
function devicesOf(args: readonly string[], flags: CompareFlags): [DeviceInput, DeviceInput] {
  const wanted = 2 - (flags.dbA ? 1 : 0) - (flags.dbB ? 1 : 0);
  if (args.length !== wanted) {
    throw new UsageError(
      `compare needs two devices, A and B: got ${args.length} path${args.length === 1 ? "" : "s"}` +
        (flags.dbA || flags.dbB ? ` besides ${flags.dbA ? "--db-a" : "--db-b"}` : ""),
      "give one path each (a file, a directory, or a glob in quotes), or --db-a / --db-b",
    );
  }
  const rest = [...args];
  const a: DeviceInput = flags.dbA
    ? { kind: "index", dir: path.resolve(flags.dbA) }
    : { kind: "files", paths: [rest.shift()!] };
  const b: DeviceInput = flags.dbB
    ? { kind: "index", dir: path.resolve(flags.dbB) }
    : { kind: "files", paths: [rest.shift()!] };
  return [a, b];
}

const KIND_WIDTH = 9;
const TIME_WIDTH = 30;

function tableRow(f: CompareFinding): string {
  const place = findingPlace(f);
  return (
    `${f.kind.padEnd(KIND_WIDTH)} ${findingTime(f).padEnd(TIME_WIDTH)} ` +
    `${place ? placeText(place) : "-"}  ${f.message}\n`
  );
}

function summaryText(s: CompareSummary, gap: number): string {
  const c = s.counts;
  const kinds = Object.entries(c.byKind)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  const total = Object.values(c.byKind).reduce((x, y) => x + y, 0) + c.unplacedHmacPairs;
  const times =
    c.timeMode === "same"
      ? "the same time on both devices"
      : c.timeMode === "nearest"
        ? "each device's own time (matched to the nearest)"
        : "no times to compare";
  return (
    `compare: A ${c.entries[0]} entries, B ${c.entries[1]} entries, ${c.matched} matched; ` +
    `${times}; gap ${gap} s; ${s.seconds.toFixed(2)} s\n` +
    (total === 0
      ? "compare: the devices agree\n"
      : `compare: the devices disagree: ${total} finding${total === 1 ? "" : "s"} (${kinds})\n`) +
    (c.unplacedHmacPairs > 0
      ? `compare: ${c.unplacedHmacPairs} odd HMAC pairs could not be placed (each was the first pair of its value)\n`
      : "")
  );
}

export async function runCompare(args: readonly string[], flags: CompareFlags): Promise<void> {
  const [a, b] = devicesOf(args, flags);
  const out = process.stdout;
  if (flags.format === "table")
    out.write(`${"KIND".padEnd(KIND_WIDTH)} ${"TIME".padEnd(TIME_WIDTH)} WHERE  WHAT\n`);
  const summary = await compareDevices(a, b, {
    gapSeconds: flags.gap,
    workers: flags.workers ?? defaultWorkers(),
    input: flags.input ?? "auto",
    onFinding: (f) => out.write(flags.format === "table" ? tableRow(f) : JSON.stringify(f) + "\n"),
  });
  for (const note of summary.notes) process.stderr.write(`compare: ${note}\n`);
  for (const p of summary.problems) process.stderr.write(`compare: ${p}\n`);
  process.stderr.write(summaryText(summary, flags.gap));
  if (summary.problems.length > 0) {
    throw new InputError(
      `${summary.problems.length} file${summary.problems.length === 1 ? "" : "s"} could not be read: the comparison is incomplete`,
    );
  }
  const total =
    Object.values(summary.counts.byKind).reduce((x, y) => x + y, 0) +
    summary.counts.unplacedHmacPairs;
  if (total > 0) process.exitCode = ExitCode.noMatch;
}
