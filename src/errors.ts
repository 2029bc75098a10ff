// Exit codes and the BreakglassError family: the one place exit codes live (README.md, "Exit codes").
// Libraries throw these; only cli/main.ts turns them into a message on stderr and an exit code.
// Anything that is not a BreakglassError is a bug and exits 70.

export const ExitCode = {
  ok: 0,
  noMatch: 1,
  usage: 2,
  input: 3,
  vault: 4,
  internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class BreakglassError extends Error {
  readonly exitCode: ExitCode;
  /** A line of advice printed under the message ("run `breakglass index` first"). */
  readonly hint: string | undefined;
  constructor(message: string, exitCode: ExitCode, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

/** Wrong flags, a bad argument, a query that does not parse: exit 2. */
export class UsageError extends BreakglassError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.usage, hint);
  }
}

/** A query that parses badly or names what does not exist; `detail` holds the caret picture. */
export class QueryError extends BreakglassError {
  readonly offset: number;
  readonly query: string;
  constructor(message: string, query: string, offset: number, hint?: string) {
    super(message, ExitCode.usage, hint);
    this.query = query;
    this.offset = offset;
  }
  /** `query:1:6: message`, the query, a caret under the position. */
  render(): string {
    const before = this.query.slice(0, this.offset);
    const line = before.split("\n").length;
    const lineStart = before.lastIndexOf("\n") + 1;
    const col = this.offset - lineStart + 1;
    const lineText = this.query.slice(lineStart).split("\n")[0] ?? "";
    return `query:${line}:${col}: ${this.message}\n  ${lineText}\n  ${" ".repeat(col - 1)}^`;
  }
}

/** The index or an input file is unusable (missing, wrong format version, unreadable, disk full): exit 3. */
export class InputError extends BreakglassError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.input, hint);
  }
}

/**
 * A store the command reads (a ClickHouse server) could not be reached (`reachable` false) or
 * answered with an error: exit 3 like any unusable input; `serve` answers 503 or 502.
 */
export class BackendError extends InputError {
  constructor(
    message: string,
    readonly reachable: boolean,
    hint?: string,
  ) {
    super(message, hint);
  }
}

/** Vault refused or failed part of the work (permission denied, sealed, unreachable): exit 4. */
export class VaultError extends BreakglassError {
  readonly status: number | undefined;
  constructor(message: string, status?: number, hint?: string) {
    super(message, ExitCode.vault, hint);
    this.status = status;
  }
}
