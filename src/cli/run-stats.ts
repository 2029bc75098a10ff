// What `breakglass stats` prints (of the local index, or of ClickHouse with --backend): totals, one line per file, the first bad lines, and a warning
// when files hold plaintext tokens (a log_raw audit device).
import { describeTarget, type BackendTarget } from "../backend/backend-url.js";
import { clickhouseStats } from "../backend/clickhouse/clickhouse-stats.js";
import type { CustodyReport } from "../evidence/custody-report.js";
import { UsageError } from "../errors.js";
import { openIndex } from "../index-api.js";
import type { IndexStats } from "../store/index-stats.js";

const MB = 1024 * 1024;
const NOT_RECORDED = "not recorded";

/** `stats --digest`: the root first (what goes in the ticket), then each file and segment. */
function writeCustody(c: CustodyReport, json: boolean): void {
  const out = process.stdout;
  if (json) {
    out.write(JSON.stringify(c) + "\n");
    return;
  }
  const recorded = (n: number, missing: number, what: string): string =>
    `${n - missing} ${what}` + (missing > 0 ? ` (${missing} more ${NOT_RECORDED})` : "");
  out.write(`root     ${c.root}\n`);
  out.write(
    `         over ${recorded(c.files.length, c.notRecorded.files, "file digests")} and ` +
      `${recorded(c.segments.length, c.notRecorded.segments, "segment digests")}\n`,
  );
  for (const f of c.files) {
    out.write(
      `file     ${f.sha256 ?? NOT_RECORDED.padEnd(64)}  ${f.path}${f.gzip ? " (gzip)" : ""}, ` +
        `bytes 0-${f.bytes}${f.gzip ? " decompressed" : ""}\n`,
    );
  }
  for (const s of c.segments) {
    out.write(
      `segment  ${s.sha256 ?? NOT_RECORDED.padEnd(64)}  #${s.id}, file #${s.file}, ` +
        `${s.records} records\n`,
    );
  }
  if (c.notRecorded.files + c.notRecorded.segments > 0) {
    out.write(
      `note: "${NOT_RECORDED}": indexed before digests were kept (or a file with a line over ` +
        "--max-line-bytes); the root covers the rest\n",
    );
  }
}

export async function runStats(
  dbDir: string,
  flags: { json?: boolean; badLines?: boolean; digest?: boolean },
  backend: BackendTarget = { kind: "local" },
): Promise<void> {
  if (backend.kind === "clickhouse") {
    if (flags.digest) {
      throw new UsageError("--digest is the local index's chain of custody (drop --backend)");
    }
    const s = await clickhouseStats(backend, { badLines: true });
    printStats(s, `ClickHouse  ${describeTarget(backend)}`, flags);
    return;
  }
  const index = openIndex(dbDir);
  try {
    if (flags.digest) {
      writeCustody(index.custody(), flags.json ?? false);
      return;
    }
    const s = index.stats({ badLines: true });
    const where = `index       ${dbDir} (${(s.indexBytes / MB).toFixed(1)} MiB, ${s.segments} segments)`;
    printStats(s, where, flags);
  } finally {
    await index.close();
  }
}

function printStats(
  s: IndexStats,
  where: string,
  flags: { json?: boolean; badLines?: boolean },
): void {
  const out = process.stdout;
  if (flags.json) {
    out.write(JSON.stringify(s) + "\n");
    return;
  }
  out.write(`${where}\n`);
  out.write(`files       ${s.files}\n`);
  out.write(`records     ${s.records}\n`);
  out.write(`bad lines   ${s.badLines}\n`);
  out.write(`skipped     ${s.skippedLines} (not audit entries: a server's own log)\n`);
  out.write(`log bytes   ${s.bytes} (${(s.bytes / MB).toFixed(1)} MiB)\n`);
  out.write(`time span   ${s.firstTime ?? "-"} … ${s.lastTime ?? "-"}\n`);
  if (s.noTime > 0) out.write(`no time     ${s.noTime} records (\`not exists time\` lists them)\n`);
  const raw = s.rawTokenFiles.length;
  if (raw > 0) {
    out.write(
      `warning     ${raw === 1 ? "1 file holds" : `${raw} files hold`} plaintext tokens ` +
        "(a log_raw audit device): the index holds live secrets; protect it like the log\n",
    );
  }
  if (s.fileList.length > 0) out.write("\n");
  for (const f of s.fileList) {
    out.write(
      `  ${f.path}${f.gzip ? " (gzip)" : ""}: ${f.records} records, ${f.badLines} bad, ` +
        `${f.lines} lines, ` +
        (f.skippedLines > 0 ? `${f.skippedLines} skipped, ` : "") +
        `${f.firstTime ?? "-"} … ${f.lastTime ?? "-"}` +
        (f.rawTokenRecords > 0 ? `, ${f.rawTokenRecords} with plaintext tokens` : "") +
        "\n",
    );
  }
  const bad = s.badLineList;
  const shown = flags.badLines ? bad : bad.slice(0, 20);
  if (shown.length > 0) out.write("\nbad lines:\n");
  for (const b of shown) out.write(`  ${b.file}:${b.line}: ${b.reason}\n`);
  if (shown.length < bad.length)
    out.write(`  … ${bad.length - shown.length} more (--bad-lines lists all)\n`);
}
