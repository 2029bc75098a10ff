// How a failure becomes an HTTP answer: status and the JSON error body every endpoint uses
// (docs/http-api.md, "Errors"). A query error keeps the CLI's message, position and hint, and the
// caret picture the CLI prints. A ClickHouse backend that cannot be reached is a 503, one that
// failed a 502 (kind `backend`). An internal error says so without its stack (that goes to the
// server's stderr only with BREAKGLASS_DEBUG=1).
import { BackendError, BreakglassError, ExitCode, QueryError } from "../errors.js";

/** A refusal with its HTTP status (403 revoke disabled, 413 too large, 429 too busy, …). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export interface ErrorBody {
  readonly error: {
    readonly status: number;
    readonly kind: "query" | "usage" | "index" | "backend" | "vault" | "refused" | "internal";
    readonly message: string;
    readonly hint?: string;
    /** Query errors: where in the query text (offset from 0; line and column from 1). */
    readonly offset?: number;
    readonly line?: number;
    readonly column?: number;
    /** Query errors: `query:1:6: …`, the query and a caret, as the CLI prints them. */
    readonly rendered?: string;
  };
}

function position(err: QueryError): { offset: number; line: number; column: number } {
  const before = err.query.slice(0, err.offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  return {
    offset: err.offset,
    line: before.split("\n").length,
    column: err.offset - lineStart + 1,
  };
}

const withHint = (hint: string | undefined): { hint?: string } =>
  hint === undefined ? {} : { hint };

export function errorBody(err: unknown): ErrorBody {
  if (err instanceof HttpError) {
    return {
      error: { status: err.status, kind: "refused", message: err.message, ...withHint(err.hint) },
    };
  }
  if (err instanceof QueryError) {
    return {
      error: {
        status: 400,
        kind: "query",
        message: err.message,
        ...withHint(err.hint),
        ...position(err),
        rendered: err.render(),
      },
    };
  }
  if (err instanceof BackendError) {
    // ClickHouse (serve --backend): down or unreachable is 503, an error it answered 502.
    const status = err.reachable ? 502 : 503;
    return { error: { status, kind: "backend", message: err.message, ...withHint(err.hint) } };
  }
  if (err instanceof BreakglassError) {
    const [status, kind] =
      err.exitCode === ExitCode.usage
        ? ([400, "usage"] as const)
        : err.exitCode === ExitCode.vault
          ? ([502, "vault"] as const)
          : ([500, "index"] as const);
    return { error: { status, kind, message: err.message, ...withHint(err.hint) } };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    error: {
      status: 500,
      kind: "internal",
      message: `internal error: ${e.message}`,
      hint: "this is a bug; please report it with the request you sent",
    },
  };
}
