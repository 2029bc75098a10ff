// `breakglass demo`: write a sample audit log with the README's incidents planted, index it, and run
// the incident-response guide's scenarios as real queries, showing each query, its answer and
// whether it found what was planted. Nothing here talks to Vault: the revoke step is a dry run.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { openIndex } from "../index-api.js";
import { indexFiles } from "../ingest/index-files.js";
import { writeOutput } from "../output/write-output.js";
import { defaultFormat } from "../output/output-format.js";
import { runQuery } from "../query/run-query.js";
import type { StageOutput } from "../query/stage-output.js";
import { writeAuditLog, type PlantedIncidents } from "./generate-log.js";

export interface DemoOptions {
  /** Where to put the sample log and its index (default: a fresh temp directory). */
  readonly dir?: string | undefined;
  /** Size of the sample log in bytes. */
  readonly bytes: number;
  readonly out: NodeJS.WritableStream;
}

/** The salt of the demo's (imaginary) audit device: hash() is computed locally with it. */
const DEMO_SALT = "breakglass-demo-salt";

interface Scenario {
  readonly title: string;
  readonly query: string;
  /** What the planted incident says the answer must contain. */
  readonly expect: (values: string[]) => boolean;
  readonly expectText: string;
}

function scenarios(p: PlantedIncidents): Scenario[] {
  const sameSet = (want: readonly string[]) => (got: string[]) =>
    got.length === want.length && want.every((w) => got.includes(w));
  return [
    {
      title: "Host compromised: every lease issued to requests from the IDS's IP",
      query: `ip = ${p.compromisedIp} | leases`,
      expect: sameSet(p.compromisedIpLeases),
      expectText: `${p.compromisedIpLeases.length} planted leases`,
    },
    {
      title: "…and what else it touched, by path",
      query: `ip = ${p.compromisedIp} | count by path`,
      expect: (v) => v.length > 0,
      expectText: "the paths it used",
    },
    {
      title: "Credentials exposed: which lease produced the password pushed to GitHub",
      query: `hmac = hash(${JSON.stringify(p.leakedPassword)}) | leases`,
      expect: sameSet([p.leakedPasswordLease]),
      expectText: "exactly the planted lease",
    },
    {
      title: "User access: who used the AppRole role, from where",
      query: `role = ${p.approleRole} | count by ip`,
      expect: (v) => v.some((line) => line.startsWith(p.compromisedIp)),
      expectText: `${p.compromisedIp} among the callers`,
    },
    {
      title: "Authentication failure: failed unwraps of a wrapping token",
      query: `path = "sys/wrapping/unwrap" and error ~ "not valid" | count by ip`,
      expect: (v) => v.some((line) => line.startsWith(p.failedUnwrapIp)),
      expectText: `${p.failedUnwrapIp} among the sources`,
    },
    {
      title: "…the stolen token's failed unwraps, when they happened",
      query: `path = "sys/wrapping/unwrap" and error ~ "not valid" and hmac = "${p.stolenWrappingTokenHmac}" | fields time, ip, error`,
      expect: (v) => v.length > 0,
      expectText: "the planted failures",
    },
    {
      title: "Tokens the compromised host used, and every lease issued to them anywhere",
      query: `token in (ip = ${p.compromisedIp} | distinct token) | leases`,
      expect: (v) => p.compromisedIpLeases.every((l) => v.includes(l)),
      expectText: "at least the host's own leases",
    },
  ];
}

/** Render items as the CLI would (plain lines for values and counts), into a string. */
async function render(
  items: AsyncIterable<StageOutput>,
  format: ReturnType<typeof defaultFormat>,
): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  await writeOutput(items, format, sink, { width: 72 });
  return Buffer.concat(chunks).toString("utf8");
}

export async function runDemo(opts: DemoOptions): Promise<{ passed: number; failed: number }> {
  const out = opts.out;
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "breakglass-demo-"));
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const logFile = path.join(dir, "vault-audit.log");
  const dbDir = path.join(dir, "index");
  out.write(`1. Writing a sample audit log with planted incidents: ${logFile}\n`);
  const gen = await writeAuditLog(logFile, { seed: 42, targetBytes: opts.bytes, salt: DEMO_SALT });
  const planted = gen.planted!;
  out.write(`   ${gen.lines} lines, ${(gen.bytes / 1e6).toFixed(1)} MB\n\n`);

  out.write(`2. breakglass index --db ${dbDir} ${logFile}\n`);
  const summary = await indexFiles(dbDir, [logFile]);
  out.write(
    `   ${summary.records} records in ${summary.seconds.toFixed(2)} s ` +
      `(${(summary.bytes / 1e6 / summary.seconds).toFixed(0)} MB/s), ${summary.badLines} bad lines\n\n`,
  );

  out.write("3. The incident-response guide's questions, as queries:\n");
  const index = openIndex(dbDir, { salt: DEMO_SALT });
  let passed = 0;
  let failed = 0;
  try {
    for (const s of scenarios(planted)) {
      const started = performance.now();
      const run = await runQuery(index.engine, s.query);
      const text = await render(run.items, defaultFormat(run.stages));
      const ms = performance.now() - started;
      const lines = text.split("\n").filter((l) => l !== "");
      const ok = s.expect(lines.map((l) => l.trim()));
      if (ok) passed++;
      else failed++;
      out.write(`\n   # ${s.title}\n   $ breakglass query '${s.query}'\n`);
      for (const l of lines.slice(0, 8)) out.write(`     ${l}\n`);
      if (lines.length > 8) out.write(`     … ${lines.length - 8} more\n`);
      out.write(`   ${ok ? "✓" : "✗"} ${ms.toFixed(1)} ms — expected ${s.expectText}\n`);
    }
    out.write(
      `\n4. Containment (dry run, no Vault here):\n` +
        `   $ breakglass query 'ip = ${planted.compromisedIp} | leases' | breakglass revoke --dry-run\n` +
        `   would revoke ${planted.compromisedIpLeases.length} leases; with VAULT_ADDR and a token, drop --dry-run.\n` +
        `   $ breakglass seal   # when Vault itself is compromised\n`,
    );
  } finally {
    await index.close();
  }
  out.write(
    `\n${passed} of ${passed + failed} scenarios found what was planted. Files are in ${dir}\n`,
  );
  return { passed, failed };
}
