// Ingest of a syslog-framed log against the plain log it wraps: the framing's cost. Runs the
// two interleaved (plain, framed, plain, …) so machine noise hits both alike, and prints each
// run's MB/s. Usage: node dist/bench/framed-ingest-bench.js [MB] [runs] (default 100 MB, 3).
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { writeAuditLog } from "../src/demo/generate-log.js";
import { indexFiles } from "../src/ingest/index-files.js";

const MB = Number(process.argv[2] ?? 100);
const RUNS = Number(process.argv[3] ?? 3);

async function syslogCopy(from: string, to: string): Promise<void> {
  const out = createWriteStream(to);
  let i = 0;
  for await (const line of readline.createInterface({ input: createReadStream(from) })) {
    const s = String(i++ % 60).padStart(2, "0");
    out.write(`2026-11-29T10:00:${s}.123456+00:00 vault-0 vault[1234]: ${line}\n`);
  }
  await new Promise<void>((resolve) => out.end(resolve));
}

const dir = mkdtempSync(path.join(os.tmpdir(), "bg-framed-bench-"));
try {
  const plain = path.join(dir, "plain.log");
  const framed = path.join(dir, "syslog.log");
  await writeAuditLog(plain, { seed: 1, targetBytes: MB * 1e6, salt: "bench" });
  await syslogCopy(plain, framed);
  const rows: string[] = [];
  for (let run = 1; run <= RUNS; run++) {
    for (const [name, file] of [
      ["plain", plain],
      ["syslog", framed],
    ] as const) {
      const db = path.join(dir, `db-${name}-${run}`);
      const t = performance.now();
      const summary = await indexFiles(db, [file]);
      const s = (performance.now() - t) / 1000;
      const size = statSync(file).size;
      rows.push(
        `${run}  ${name.padEnd(6)}  ${(size / 1e6).toFixed(1)} MB  ${summary.records} records  ` +
          `${s.toFixed(2)} s  ${(size / 1e6 / s).toFixed(1)} MB/s`,
      );
      console.log(rows[rows.length - 1]);
      rmSync(db, { recursive: true, force: true });
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
