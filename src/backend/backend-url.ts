// Which store a command reads or loads: the local index (default) or a ClickHouse server or
// cluster named by `--backend URL` or $BREAKGLASS_BACKEND (docs/clickhouse.md):
//   clickhouse://[user@]host[:port]/database[?cluster=NAME]   HTTP, port 8123 by default
//   clickhouses://[user@]host[:port]/database[?cluster=NAME]  HTTPS, port 8443; --ca FILE
// The password comes from $CLICKHOUSE_PASSWORD only: a URL that carries one is refused (it would
// sit in shell history and `ps`), and no message ever repeats it. Pure; no I/O but reading --ca.
import fs from "node:fs";
import { UsageError } from "../errors.js";

export interface ClickhouseTarget {
  readonly kind: "clickhouse";
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** A cluster of the server's `remote_servers`: load through Distributed tables. */
  readonly cluster: string | undefined;
  /** From $CLICKHOUSE_PASSWORD; never printed. */
  readonly password: string | undefined;
  /** PEM CA certificates to verify an HTTPS server with (--ca), else the system's. */
  readonly ca: Buffer | undefined;
}

export type BackendTarget = { readonly kind: "local" } | ClickhouseTarget;

/** The environment variables the backend reads. */
export interface BackendEnv {
  readonly BREAKGLASS_BACKEND?: string | undefined;
  readonly CLICKHOUSE_PASSWORD?: string | undefined;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEFAULT_PORT = { clickhouse: 8123, clickhouses: 8443 } as const;
const HINT = "write it as clickhouse://[user@]host:port/database[?cluster=NAME]";

/** How a target is named in messages: the URL without any secret. */
export function describeTarget(t: ClickhouseTarget, host = t.host, port = t.port): string {
  const scheme = t.tls ? "clickhouses" : "clickhouse";
  const h = host.includes(":") ? `[${host}]` : host;
  return `${scheme}://${t.user}@${h}:${port}/${t.database}`;
}

export function parseClickhouseUrl(
  text: string,
  env: BackendEnv,
  caFile?: string,
): ClickhouseTarget {
  const scheme = /^([a-z]+):\/\//.exec(text)?.[1];
  if (scheme !== "clickhouse" && scheme !== "clickhouses") {
    throw new UsageError(`unknown backend (expected clickhouse:// or clickhouses://)`, HINT);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`not a valid backend URL`, HINT);
  }
  if (url.password !== "") {
    throw new UsageError(
      "the backend URL carries a password; it is read from $CLICKHOUSE_PASSWORD only",
      "remove it from the URL (it is now in your shell history: change it) and export CLICKHOUSE_PASSWORD",
    );
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw new UsageError("the backend URL names no host", HINT);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!NAME.test(database)) {
    throw new UsageError(
      `the backend URL names no database, or one that is not a plain name (letters, digits, _): ${JSON.stringify(database)}`,
      HINT,
    );
  }
  const user = url.username === "" ? "default" : decodeURIComponent(url.username);
  let cluster: string | undefined;
  for (const [key, value] of url.searchParams) {
    if (key !== "cluster") {
      throw new UsageError(`unknown backend URL parameter ${JSON.stringify(key)}`, HINT);
    }
    if (!NAME.test(value)) {
      throw new UsageError(`not a cluster name (letters, digits, _): ${JSON.stringify(value)}`);
    }
    cluster = value;
  }
  const tls = scheme === "clickhouses";
  if (caFile !== undefined && !tls) {
    throw new UsageError("--ca needs a clickhouses:// (HTTPS) backend");
  }
  let ca: Buffer | undefined;
  if (caFile !== undefined) {
    try {
      ca = fs.readFileSync(caFile);
    } catch (err) {
      throw new UsageError(`cannot read --ca ${caFile}: ${(err as NodeJS.ErrnoException).code}`);
    }
  }
  const password = env.CLICKHOUSE_PASSWORD === "" ? undefined : env.CLICKHOUSE_PASSWORD;
  return {
    kind: "clickhouse",
    tls,
    host,
    port: url.port === "" ? DEFAULT_PORT[scheme] : Number(url.port),
    user,
    database,
    cluster,
    password,
    ca,
  };
}

/** The backend of a command: `--backend`, else $BREAKGLASS_BACKEND, else the local index. */
export function resolveBackend(
  flag: string | undefined,
  env: BackendEnv,
  caFile?: string,
): BackendTarget {
  const text = flag ?? env.BREAKGLASS_BACKEND;
  if (text === undefined || text === "" || text === "local") {
    if (caFile !== undefined) throw new UsageError("--ca needs a clickhouses:// backend");
    return { kind: "local" };
  }
  return parseClickhouseUrl(text, env, caFile);
}
