// What `breakglass shell` does: open the index once, then run each line read from stdin as a query
// (or a backslash command, cli/shell-commands.ts) on it, so a query costs its ~3 ms and not the
// ~0.2 s of a process start. Results stream to stdout in the current format; the time, errors
// and the prompt go to stderr (the prompt to stdout when stdout is the terminal).
// On a terminal: a `breakglass> ` prompt, history kept in the index directory
// (cli/shell-history.ts), Tab completion (cli/shell-completer.ts), Ctrl-C stops the running query.
// Otherwise (stdin piped): one query a line, no prompt; exit 2 at EOF if any line failed.
// A bad query never ends the session: it prints `query:1:6: …` with the caret and the next line
// is read. Only opening the index can fail the command (exit 3, by cli/main.ts).
import { performance } from "node:perf_hooks";
import readline from "node:readline";
import { BreakglassError, ExitCode, QueryError, UsageError } from "../errors.js";
import type { BackendTarget } from "../backend/backend-url.js";
import { openQuerySource, type BreakglassIndex, type QuerySource } from "../index-api.js";
import { defaultFormat } from "../output/output-format.js";
import { writeOutput } from "../output/write-output.js";
import { runQuery } from "../query/run-query.js";
import { LocalBackend } from "../query/local-backend.js";
import { staleFieldsNote } from "../query/stale-fields.js";
import {
  fieldsText,
  parseShellLine,
  shellHelpText,
  statsText,
  type ShellFormat,
} from "./shell-commands.js";
import { completeShellLine } from "./shell-completer.js";
import { HISTORY_LINES, historyPath, loadHistory, saveHistory } from "./shell-history.js";

export interface ShellFlags {
  format?: ShellFormat;
  salt?: string;
  auditDevice?: string;
}

export const PROMPT = "breakglass> ";

/** A query being printed; Ctrl-C sets `stopped` and no further result is pulled. */
interface Running {
  stopped: boolean;
  rows: number;
}

async function* untilStopped<T>(items: AsyncIterable<T>, run: Running): AsyncGenerator<T> {
  if (run.stopped) return;
  for await (const item of items) {
    if (run.stopped) return; // leaving the loop calls return() on the stage pipeline
    run.rows++;
    yield item;
  }
}

function errorText(err: unknown): string {
  if (err instanceof QueryError) {
    return err.render() + (err.hint ? `\nhint: ${err.hint}` : "");
  }
  if (err instanceof BreakglassError) {
    return `error: ${err.message}` + (err.hint ? `\nhint: ${err.hint}` : "");
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const debug = process.env.BREAKGLASS_DEBUG === "1";
  return (
    `internal error: ${e.message}\nThis is a bug; please report it with the query you ran` +
    (debug && e.stack ? `.\n${e.stack}` : " and the output of BREAKGLASS_DEBUG=1.")
  );
}

/** One open index and the state a session keeps between lines. */
class ShellSession {
  queries = 0;
  failed = 0;
  /** The hint about segments indexed before a field existed is given once a session. */
  private staleHinted = false;
  private running: Running | undefined;

  constructor(
    private readonly index: QuerySource | BreakglassIndex,
    public format: ShellFormat,
  ) {}

  /** Stops the running query; false when none is running. */
  stop(): boolean {
    if (!this.running) return false;
    this.running.stopped = true;
    return true;
  }

  /** Does what the line asks; "quit" when the session should end. */
  async handle(line: string): Promise<"continue" | "quit"> {
    const parsed = parseShellLine(line);
    switch (parsed.kind) {
      case "empty":
        return "continue";
      case "quit":
        return "quit";
      case "query":
        await this.run(parsed.text, false);
        return "continue";
      case "explain":
        await this.run(parsed.text, true);
        return "continue";
      case "format":
        if (parsed.format) this.format = parsed.format;
        process.stderr.write(`format ${this.format}\n`);
        return "continue";
      case "fields":
        process.stdout.write(fieldsText());
        return "continue";
      case "help":
        process.stdout.write(shellHelpText());
        return "continue";
      case "stats":
        try {
          if (!("stats" in this.index))
            throw new UsageError("\\stats: run `breakglass stats --backend URL`");
          const s = this.index.stats();
          process.stdout.write(statsText(this.index.dir, s, this));
        } catch (err) {
          this.fail(err);
        }
        return "continue";
      case "invalid":
        this.failed++;
        process.stderr.write(`error: ${parsed.message}\n`);
        return "continue";
    }
  }

  /** A query: results (or, for \explain, the plan) on stdout, then rows and time on stderr. */
  private async run(text: string, explain: boolean): Promise<void> {
    this.queries++;
    const running: Running = { stopped: false, rows: 0 };
    this.running = running;
    const started = performance.now();
    try {
      const run = await runQuery(this.index.engine, text, { collectStats: explain });
      const items = untilStopped(run.items, running);
      if (explain) {
        for await (const _ of items) {
          // run it to the end for the actual sizes; \explain prints the plan, not the results
        }
        process.stdout.write((await this.index.engine.explain(run.prepared, run.stats)) + "\n");
      } else {
        const explicit = this.format === "auto" ? undefined : this.format;
        await writeOutput(items, defaultFormat(run.stages, explicit), process.stdout, {
          width: process.stdout.columns,
        });
      }
      const ms = (performance.now() - started).toFixed(1);
      const rows = `${running.rows} ${running.rows === 1 ? "row" : "rows"}`;
      process.stderr.write(
        running.stopped ? `(stopped after ${rows}, ${ms} ms)\n` : `(${rows}, ${ms} ms)\n`,
      );
      const backend = this.index.engine.backend;
      const stale =
        backend instanceof LocalBackend
          ? staleFieldsNote(backend.reader, run.prepared.plan, run.stages)
          : undefined;
      if (stale && !this.staleHinted) {
        this.staleHinted = true;
        process.stderr.write(stale + "\n");
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.running = undefined;
    }
  }

  private fail(err: unknown): void {
    this.failed++;
    process.stderr.write(errorText(err) + "\n");
  }
}

/** Saves the history, warning once per session when it cannot. */
function historySaver(dbDir: string): (linesOldestFirst: readonly string[]) => void {
  const file = historyPath(dbDir);
  let warned = false;
  return (lines) => {
    const err = saveHistory(file, lines);
    if (err && !warned) {
      warned = true;
      process.stderr.write(`breakglass: history not saved to ${file}: ${err.message}\n`);
    }
  };
}

async function interactive(session: ShellSession, dbDir: string, where: string) {
  // The prompt and the echo belong with the results when stdout is the terminal; when stdout is
  // redirected, they go to stderr so that the file holds only results.
  const output = process.stdout.isTTY ? process.stdout : process.stderr;
  const save = historySaver(dbDir);
  let history = loadHistory(historyPath(dbDir)).reverse(); // readline wants newest first
  const rl = readline.createInterface({
    input: process.stdin,
    output,
    terminal: true,
    prompt: PROMPT,
    completer: completeShellLine,
    history: [...history],
    historySize: HISTORY_LINES,
  });
  rl.on("history", (lines: string[]) => {
    history = lines;
  });
  rl.on("SIGINT", () => {
    if (session.stop()) {
      output.write("^C\n");
      return;
    }
    if (rl.line === "") {
      output.write("^C\n(to quit, type \\q or press Ctrl-D)\n");
    } else {
      output.write("^C\n");
      rl.write(null, { ctrl: true, name: "e" }); // to the end of the line,
      rl.write(null, { ctrl: true, name: "u" }); // then delete all of it
    }
    rl.prompt();
  });
  output.write(`breakglass shell: ${where}. \\help for help, \\q or Ctrl-D to quit.\n`);
  rl.prompt();
  let quit = false;
  for await (const line of rl) {
    quit = (await session.handle(line)) === "quit";
    save([...history].reverse());
    if (quit) break;
    rl.prompt();
  }
  rl.close();
  if (!quit) output.write("\n"); // Ctrl-D leaves the cursor after the prompt
}

async function scripted(session: ShellSession, dbDir: string) {
  const rl = readline.createInterface({
    input: process.stdin,
    terminal: false,
    crlfDelay: Infinity,
  });
  const lines: string[] = [];
  try {
    for await (const line of rl) {
      lines.push(line);
      if ((await session.handle(line)) === "quit") break;
    }
  } finally {
    rl.close();
    if (lines.length > 0) historySaver(dbDir)([...loadHistory(historyPath(dbDir)), ...lines]);
  }
}

export async function runShell(
  dbDir: string,
  flags: ShellFlags,
  backend: BackendTarget = { kind: "local" },
): Promise<void> {
  const index = await openQuerySource(backend, dbDir, {
    salt: flags.salt,
    auditDevice: flags.auditDevice,
  });
  const session = new ShellSession(index, flags.format ?? "auto");
  try {
    const where =
      "recordCount" in index ? `${index.recordCount} records in ${dbDir}` : "ClickHouse";
    if (process.stdin.isTTY) await interactive(session, dbDir, where);
    else await scripted(session, dbDir);
  } finally {
    await index.close();
  }
  if (!process.stdin.isTTY && session.failed > 0) process.exitCode = ExitCode.usage;
}
