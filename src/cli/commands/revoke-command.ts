// `breakglass revoke`: lease ids from stdin (one a line; blank lines and # comments ignored) or
// --query, handed to src/vault/revoke-leases.ts. Plans with --dry-run (sends nothing), asks
// "Revoke N leases at VAULT_ADDR? [y/N]" on a terminal (/dev/tty when stdin carries the ids) or
// needs --yes, shows a progress bar on stderr only when stderr is a TTY, ends with the summary
// on stderr (and a JSON object on stdout with --json). Exit 4 if any lease failed.
// Every target is checked before anything is asked or sent: a prefix or namespace that could
// leave its endpoint ("x/../../sys/seal", "", "a//b") is a usage error naming the value and its
// stdin line. The dry run prints each request as it would be sent (PUT /v1/sys/leases/…).
// Nothing it prints carries the token.
import { InvalidArgumentError, type Command } from "commander";
import { createInterface } from "node:readline";
import { UsageError, VaultError } from "../../errors.js";
import type {
  LeaseTarget,
  RevokeMode,
  RevokeOutcome,
  RevokeRequest,
  RevokeSummary,
} from "../../vault/revoke-leases.js";
import { DB_OPTION_FLAGS, DB_OPTION_HELP, resolveDbDir } from "../db-dir.js";
import { addBackendOptions, backendFromFlags } from "../backend-option.js";

interface RevokeFlags {
  query?: string;
  dryRun?: boolean;
  yes?: boolean;
  concurrency: number;
  verify?: boolean;
  prefix?: string | boolean;
  force?: boolean;
  accessor?: boolean;
  namespace?: string;
  journal?: string;
  db?: string;
  json?: boolean;
  backend?: string;
  ca?: string;
}

const MAX_CONCURRENCY = 256;

function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) {
    throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_CONCURRENCY}`);
  }
  return n;
}

export function registerRevokeCommand(program: Command): void {
  const command = program
    .command("revoke")
    .description("revoke lease ids read from stdin (one a line), or found by --query")
    .option("--query <query>", "revoke the leases this query finds (e.g. 'ip = 10.0.0.1 | leases')")
    .option(
      "--dry-run",
      "print each request (method and path, namespace, lease id) and send nothing",
    )
    .option("-y, --yes", "do not ask for confirmation (required without a terminal)")
    .option("--concurrency <n>", "requests in flight at once", parseConcurrency, 8)
    .option("--verify", "look each lease up before and after, to tell revoked from already gone")
    .option(
      "--prefix [prefix]",
      "revoke by prefix (sys/leases/revoke-prefix); input lines are prefixes",
    )
    .option(
      "--force",
      "with --prefix: sys/leases/revoke-force (drops leases even if the backend fails)",
    )
    .option("--accessor", "input lines are token accessors (auth/token/revoke-accessor)")
    .option(
      "--namespace <ns>",
      "send every call to this namespace (default: $VAULT_NAMESPACE, else each lease's own)",
    )
    .option(
      "--journal <file>",
      "journal of outcomes (default: revoke-journal.ndjson in the index directory)",
    )
    .option(DB_OPTION_FLAGS, DB_OPTION_HELP)
    .option("--json", "print the summary as one JSON object on stdout")
    .addHelpText(
      "after",
      "\nVault is found like the Vault CLI finds it: VAULT_ADDR, VAULT_TOKEN (else ~/.vault-token),\n" +
        "VAULT_NAMESPACE, VAULT_CACERT, VAULT_SKIP_VERIFY. The token is never accepted as a flag.",
    );
  // --backend: where --query looks (the local index by default).
  addBackendOptions(command).action(async (flags: RevokeFlags) => {
    await runRevoke(flags);
  });
}

function modeOf(flags: RevokeFlags): RevokeMode {
  if (flags.force && flags.prefix === undefined) {
    throw new UsageError(
      "--force needs --prefix",
      "Vault's sys/leases/revoke-force takes a prefix",
    );
  }
  if (flags.accessor && flags.prefix !== undefined) {
    throw new UsageError("--accessor and --prefix do not go together");
  }
  if (flags.verify && (flags.accessor || flags.prefix !== undefined)) {
    throw new UsageError("--verify works on lease ids, not with --prefix or --accessor");
  }
  if (flags.prefix !== undefined) return flags.force ? "force" : "prefix";
  return flags.accessor ? "accessor" : "revoke";
}

/** A target and where it came from ("stdin line 3"), for messages. */
interface SourcedTarget {
  target: LeaseTarget;
  where: string;
}

async function* stdinLines(): AsyncGenerator<{ line: string; lineNo: number }> {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const raw of rl) {
    lineNo++;
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    yield { line, lineNo };
  }
}

async function collectTargets(flags: RevokeFlags): Promise<SourcedTarget[]> {
  if (flags.query !== undefined) {
    const { findLeaseTargets } = await import("../../query/find-lease-targets.js");
    const targets: SourcedTarget[] = [];
    const backend = await backendFromFlags(flags);
    const found = findLeaseTargets(resolveDbDir(flags.db), flags.query, {}, backend);
    for await (const target of found) {
      targets.push({ target, where: "--query" });
    }
    return targets;
  }
  if (typeof flags.prefix === "string")
    return [{ target: { leaseId: flags.prefix }, where: "--prefix" }];
  if (process.stdin.isTTY) {
    throw new UsageError(
      "no lease ids: pipe them on stdin, one a line",
      "e.g. breakglass query 'ip = 10.0.0.1 | leases' | breakglass revoke",
    );
  }
  const targets: SourcedTarget[] = [];
  for await (const { line, lineNo } of stdinLines()) {
    targets.push({ target: { leaseId: line }, where: `stdin line ${lineNo}` });
  }
  return targets;
}

function nounOf(mode: RevokeMode, n: number): string {
  const s = n === 1 ? "" : "s";
  if (mode === "accessor") return `token accessor${s}`;
  if (mode === "prefix" || mode === "force") return `prefix${n === 1 ? "" : "es"}`;
  return `lease${s}`;
}

function summaryLine(s: RevokeSummary): string {
  return (
    `revoked ${s.revoked}, already gone ${s.alreadyGone}, failed ${s.failed}, ` +
    `skipped ${s.skipped} (journal)`
  );
}

async function runRevoke(flags: RevokeFlags): Promise<void> {
  const mode = modeOf(flags);
  const [{ resolveVaultConfig, redactToken }, { VaultClient }, journalMod, revokeMod, pathMod] =
    await Promise.all([
      import("../../vault/vault-config.js"),
      import("../../vault/vault-client.js"),
      import("../../vault/revoke-journal.js"),
      import("../../vault/revoke-leases.js"),
      import("../../vault/vault-api-path.js"),
    ]);
  const config = await resolveVaultConfig(process.env, {
    ...(flags.namespace === undefined ? {} : { namespace: flags.namespace }),
  });
  const scrub = (text: string): string => redactToken(text, config.token);
  const sourced = await collectTargets(flags);
  // Checked before anything is planned, asked or sent: an unsafe value stops the whole run.
  const planned = sourced.map(({ target, where }) => {
    const context = { where, redact: scrub };
    const namespace = revokeMod.targetNamespace(target, config.namespace, context);
    const request = revokeMod.revokeRequestOf(mode, target.leaseId, context);
    return { target, namespace, request };
  });
  const targets = planned.map((p) => p.target);
  const journalFile = flags.journal ?? journalMod.defaultJournalPath(resolveDbDir(flags.db));
  const view = await journalMod.readJournal(journalFile);
  const todo = planned.filter((p) => !view.isDone(mode, p.namespace, p.target.leaseId));
  const skipped = targets.length - todo.length;

  if (flags.dryRun) {
    const action = {
      revoke: "revoke",
      prefix: "revoke-prefix",
      force: "revoke-force",
      accessor: "revoke-accessor",
    }[mode];
    const shown = (r: RevokeRequest): string => pathMod.requestLine(r.method, r.path);
    const plan = planned.map((p) => ({
      action: view.isDone(mode, p.namespace, p.target.leaseId) ? "skip" : action,
      request: shown(p.request),
      namespace: p.namespace,
      leaseId: p.target.leaseId,
    }));
    if (flags.json) {
      const out = { dryRun: true, addr: config.addr, count: todo.length, skipped, plan };
      process.stdout.write(scrub(JSON.stringify(out)) + "\n");
    } else {
      for (const p of plan) {
        const first = p.action === "skip" ? "skip (journal)" : p.request;
        process.stdout.write(scrub(`${first}\t${p.namespace || "(root)"}\t${p.leaseId}`) + "\n");
      }
    }
    process.stderr.write(
      `dry run: would revoke ${todo.length} ${nounOf(mode, todo.length)} at ${config.addr}` +
        `, skip ${skipped} (journal); nothing was sent\n`,
    );
    return;
  }

  if (todo.length === 0) {
    const empty = {
      revoked: 0,
      alreadyGone: 0,
      failed: 0,
      skipped,
      duplicates: 0,
      total: targets.length,
      seconds: 0,
      failures: [],
    };
    process.stderr.write(
      summaryLine(empty) + (targets.length === 0 ? "; no lease ids given\n" : "\n"),
    );
    if (flags.json)
      process.stdout.write(
        scrub(JSON.stringify({ ...empty, addr: config.addr, journal: view.file })) + "\n",
      );
    return;
  }
  if (!config.token) {
    throw new UsageError(
      "no Vault token: set VAULT_TOKEN or run `vault login` (writes ~/.vault-token)",
      "the token is never accepted on the command line",
    );
  }
  if (!flags.yes) {
    const { openTerminal, confirm } = await import("../../vault/terminal-prompt.js");
    const terminal = openTerminal();
    if (!terminal) {
      throw new UsageError(
        `refusing to revoke ${todo.length} ${nounOf(mode, todo.length)} without confirmation: no terminal to ask on`,
        "pass --yes to confirm, or --dry-run to see the plan",
      );
    }
    let ok: boolean;
    try {
      ok = await confirm(
        terminal,
        `Revoke ${todo.length} ${nounOf(mode, todo.length)} at ${config.addr}?`,
      );
    } finally {
      terminal.close();
    }
    if (!ok) throw new UsageError("not confirmed; nothing was revoked");
  }

  const debug = process.env.BREAKGLASS_DEBUG === "1";
  const client = new VaultClient(config, {
    maxSockets: flags.concurrency,
    ...(debug ? { debug: (line: string) => void process.stderr.write(line + "\n") } : {}),
  });
  const journal = await journalMod.RevokeJournal.open(journalFile);
  const abort = new AbortController();
  const onSigint = (): void => {
    process.stderr.write(
      "\nbreakglass: stopping after the requests in flight (Ctrl-C again to quit now)\n",
    );
    abort.abort();
    process.off("SIGINT", onSigint);
  };
  process.on("SIGINT", onSigint);
  let bar: import("cli-progress").SingleBar | undefined;
  if (process.stderr.isTTY) {
    const { default: cliProgress } = await import("cli-progress");
    bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: "revoking [{bar}] {value}/{total} | {eta_formatted} left | failed {failed}",
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(todo.length, 0, { failed: 0 });
  }
  let failedSoFar = 0;
  let summary: RevokeSummary;
  try {
    summary = await revokeMod.revokeLeases(targets, {
      client,
      mode,
      concurrency: flags.concurrency,
      verify: flags.verify ?? false,
      journal,
      signal: abort.signal,
      onOutcome: (o) => {
        if (o.outcome === "failed") failedSoFar++;
        bar?.increment(1, { failed: failedSoFar });
      },
    });
  } catch (err) {
    bar?.stop();
    if (err instanceof revokeMod.RevokeStoppedError) {
      process.stderr.write(summaryLine(err.summary) + "\n");
      if (flags.json)
        process.stdout.write(
          scrub(
            JSON.stringify(
              revokeMod.revokeSummaryJson(
                err.summary,
                config.addr,
                journal.file,
                failureJson,
                err.message,
              ),
            ),
          ) + "\n",
        );
    }
    throw err;
  } finally {
    process.off("SIGINT", onSigint);
    bar?.stop();
    await journal.close();
    client.close();
  }

  process.stderr.write(`${summaryLine(summary)} in ${summary.seconds.toFixed(1)} s\n`);
  for (const f of summary.failures.slice(0, 5)) {
    process.stderr.write(
      scrub(
        `  failed ${f.leaseId}${f.namespace ? ` (namespace ${f.namespace})` : ""}: ${f.reason ?? "?"}`,
      ) + "\n",
    );
  }
  if (summary.failures.length > 5)
    process.stderr.write(`  … all outcomes are in ${journal.file}\n`);
  if (flags.json)
    process.stdout.write(
      scrub(
        JSON.stringify(
          revokeMod.revokeSummaryJson(summary, config.addr, journal.file, failureJson),
        ),
      ) + "\n",
    );
  if (abort.signal.aborted)
    throw new VaultError("interrupted; rerun to finish (the journal skips what is done)");
  if (summary.failed > 0) {
    const first = summary.failures[0]?.reason ?? "";
    const attempted = summary.total - summary.skipped;
    throw new VaultError(
      scrub(`${summary.failed} of ${attempted} ${nounOf(mode, attempted)} failed: ${first}`),
      undefined,
      `outcomes are in ${journal.file}; rerun to retry the failed ones`,
    );
  }
}

/** A failure in `--json`'s summary (the whole line is scrubbed of the token when printed). */
function failureJson(f: RevokeOutcome): object {
  return { leaseId: f.leaseId, namespace: f.namespace, reason: f.reason };
}
