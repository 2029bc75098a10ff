#!/usr/bin/env node
// The breakglass binary: builds the commander program from one thin file per command, runs it, and
// is the only place that turns errors into a message on stderr and an exit code (README.md).
// Commands load their heavy modules (lmdb, piscina, chevrotain) only when they run, so
// `breakglass --help` and a one-shot query stay quick to start.
import { Command, CommanderError } from "commander";
import { BreakglassError, ExitCode, QueryError } from "../errors.js";
import { registerCommands } from "./commands/register-commands.js";

function reportAndExit(err: unknown): never {
  const debug = process.env.BREAKGLASS_DEBUG === "1";
  if (err instanceof CommanderError) {
    // Help and version are successes; every other commander error is a usage error.
    const ok = err.code === "commander.helpDisplayed" || err.code === "commander.version";
    process.exit(ok ? ExitCode.ok : ExitCode.usage);
  }
  if (err instanceof QueryError) {
    process.stderr.write(`breakglass: ${err.render()}\n`);
    if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
    process.exit(err.exitCode);
  }
  if (err instanceof BreakglassError) {
    process.stderr.write(`breakglass: ${err.message}\n`);
    if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exit(err.exitCode);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(
    `breakglass: internal error: ${e.message}\n` +
      `This is a bug; please report it with the command you ran` +
      (debug ? ".\n" : " and the output of BREAKGLASS_DEBUG=1.\n"),
  );
  if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
  process.exit(ExitCode.internal);
}

// A reader that went away (`| head`) is not an error: stop quietly.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(ExitCode.ok);
  reportAndExit(err);
});

const program = new Command();
program
  .name("breakglass")
  .description("Index HashiCorp Vault audit logs, answer incident-response questions, act on them.")
  .version("0.1.0")
  .exitOverride()
  .showHelpAfterError("(run `breakglass help` for usage)")
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });
registerCommands(program);

// No top-level await: the bin runs this module as CommonJS (see code-cache.ts).
program.parseAsync(process.argv).then(() => {
  if (process.exitCode === undefined) process.exitCode = ExitCode.ok;
}, reportAndExit);
