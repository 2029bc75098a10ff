// `breakglass serve`: the HTTP server (fastify) over one open index, or over a ClickHouse database
// with `--backend` (clickhouse-source.ts; checked reachable and loaded before listening). Builds the app (guard hook,
// API routes, the page's files), listens, and returns the start URL that carries the access
// token. Plain HTTP only on a loopback address; anything else needs a TLS certificate and key.
// Logs nothing per request (a URL can hold a query, the start URL a token).
import fs from "node:fs/promises";
import Fastify, { type FastifyInstance } from "fastify";
import ipaddr from "ipaddr.js";
import type { BackendTarget } from "../backend/backend-url.js";
import { UsageError } from "../errors.js";
import { defaultJournalPath } from "../vault/revoke-journal.js";
import { errorBody } from "./http-errors.js";
import { hashResolverOf, IndexSnapshots, type HashOptions } from "./index-snapshots.js";
import { registerInfoRoutes } from "./info-routes.js";
import { registerQueryRoutes } from "./query-routes.js";
import { QuerySlots } from "./query-slots.js";
import { requestGuard, type GuardConfig } from "./request-guard.js";
import { registerRevokeRoute } from "./revoke-route.js";
import type { ServeContext } from "./serve-context.js";
import type { ServeSource } from "./serve-source.js";
import { defaultWebDir, NO_PAGE_HTML, staticFile } from "./static-files.js";

export const DEFAULT_LISTEN = "127.0.0.1:8765";
/** Request bodies (a query, a list of plaintexts) are small. */
const BODY_LIMIT_BYTES = 1 << 20;

export interface ServeOptions {
  /** The index (and the revoke journal's default directory). */
  readonly dbDir: string;
  /** Where queries run: the index in dbDir (default), or ClickHouse. */
  readonly backend?: BackendTarget | undefined;
  /** HOST:PORT (IPv6 in brackets); port 0 picks a free one. */
  readonly listen: string;
  readonly token: string;
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly allowRevoke: boolean;
  /** More names the Host header may carry (a DNS name of a non-loopback address). */
  readonly hostNames?: readonly string[] | undefined;
  readonly hash: HashOptions;
  readonly journalFile?: string | undefined;
  /** The page's files; default dist/web/. */
  readonly webDir?: string | undefined;
  /** Query slots (tests make it small). */
  readonly maxRunningQueries?: number | undefined;
  readonly maxWaitingQueries?: number | undefined;
}

export interface RunningServer {
  /** The start URL, token included: print it on the terminal only. */
  readonly startUrl: string;
  /** The base URL without the token. */
  readonly url: string;
  readonly port: number;
  /** What it answers from: `local`, or the ClickHouse URL without its password. */
  readonly backend: string;
  close(): Promise<void>;
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  readonly loopback: boolean;
}

/** Parses `--listen HOST:PORT`; `localhost` and 127.0.0.0/8, ::1 are loopback. */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new UsageError(
      `--listen ${JSON.stringify(text)} is not HOST:PORT`,
      "e.g. 127.0.0.1:8765, [::1]:8765, 0.0.0.0:8443 (with --tls-cert and --tls-key)",
    );
  }
  const host = (m[1] ?? m[2])!;
  let loopback = host === "localhost";
  if (!loopback) {
    if (!ipaddr.isValid(host)) {
      throw new UsageError(
        `--listen ${JSON.stringify(text)}: ${host} is not an IP address`,
        "listen on an address (127.0.0.1, ::1, 0.0.0.0); name hosts with --host-name",
      );
    }
    loopback = ipaddr.process(host).range() === "loopback";
  }
  return { host, port, loopback };
}

function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`.toLowerCase();
}

/** The Host header values the server answers to. */
function allowedHosts(addr: ListenAddress, port: number, names: readonly string[]): Set<string> {
  const hosts = [addr.host, ...names];
  if (addr.loopback) hosts.push("localhost", "127.0.0.1", "::1");
  return new Set(hosts.map((h) => hostPort(h, port)));
}

function buildApp(
  ctx: ServeContext,
  guard: () => GuardConfig,
  webDir: string | undefined,
  https?: { cert: Buffer; key: Buffer },
): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    forceCloseConnections: true,
    ...(https ? { https } : {}),
  }) as unknown as FastifyInstance;
  app.addHook("onRequest", requestGuard(guard));
  app.setErrorHandler((err, _req, reply) => {
    const status = (err as { statusCode?: number }).statusCode;
    // fastify's own refusals (bad JSON, body too large, wrong content type) keep their status.
    const body =
      status !== undefined &&
      status >= 400 &&
      status < 500 &&
      !(err instanceof Error && "query" in err)
        ? { error: { status, kind: "usage" as const, message: (err as Error).message } }
        : errorBody(err);
    if (body.error.kind === "internal" && process.env.BREAKGLASS_DEBUG === "1") {
      process.stderr.write(`breakglass serve: ${(err as Error).stack ?? String(err)}\n`);
    }
    void reply.code(body.error.status).header("cache-control", "no-store").send(body);
  });
  registerInfoRoutes(app, ctx);
  registerQueryRoutes(app, ctx);
  registerRevokeRoute(app, ctx);
  app.setNotFoundHandler(async (req, reply) => {
    const pathname = req.url.split("?")[0] ?? "/";
    if (pathname.startsWith("/api/") || (req.method !== "GET" && req.method !== "HEAD")) {
      return reply.code(404).send({
        error: {
          status: 404,
          kind: "usage",
          message: `no such endpoint: ${req.method} ${pathname}`,
        },
      });
    }
    if (webDir === undefined) {
      return reply
        .code(pathname === "/" ? 200 : 404)
        .type("text/html; charset=utf-8")
        .send(NO_PAGE_HTML);
    }
    const file = await staticFile(webDir, pathname);
    if (!file) return reply.code(404).type("text/plain; charset=utf-8").send("not found\n");
    return reply.header("cache-control", "no-cache").type(file.contentType).send(file.body);
  });
  return app;
}

async function readTls(tls: {
  certFile: string;
  keyFile: string;
}): Promise<{ cert: Buffer; key: Buffer }> {
  const read = async (file: string, flag: string): Promise<Buffer> => {
    try {
      return await fs.readFile(file);
    } catch (err) {
      throw new UsageError(`cannot read ${flag} ${file}: ${(err as Error).message}`);
    }
  };
  return {
    cert: await read(tls.certFile, "--tls-cert"),
    key: await read(tls.keyFile, "--tls-key"),
  };
}

/** What the server answers from: the local index, or ClickHouse (reached and checked now). */
async function openSource(opts: ServeOptions): Promise<ServeSource> {
  if (opts.backend?.kind === "clickhouse") {
    const { ClickhouseSource } = await import("./clickhouse-source.js");
    return ClickhouseSource.open(opts.backend, hashResolverOf(opts.hash));
  }
  return new IndexSnapshots(opts.dbDir, opts.hash);
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const addr = parseListen(opts.listen);
  if (!addr.loopback && !opts.tls) {
    throw new UsageError(
      `--listen ${opts.listen} is not a loopback address: serving it needs --tls-cert and --tls-key`,
      "the token and the audit log would cross the network in clear text",
    );
  }
  const https = opts.tls ? await readTls(opts.tls) : undefined;
  const scheme = https ? "https" : "http";
  const snapshots = await openSource(opts);
  const ctx: ServeContext = {
    dbDir: opts.dbDir,
    snapshots,
    slots: new QuerySlots(opts.maxRunningQueries, opts.maxWaitingQueries),
    activity: { served: 0, cancelled: 0, rowsPulled: 0 },
    allowRevoke: opts.allowRevoke,
    hash: opts.hash,
    journalFile: opts.journalFile ?? defaultJournalPath(opts.dbDir),
  };
  let guard: GuardConfig | undefined;
  const webDir = opts.webDir ?? (await defaultWebDir());
  const app = buildApp(
    ctx,
    () => {
      if (!guard) throw new Error("a request before the server listened");
      return guard;
    },
    webDir,
    https,
  );
  try {
    await app.listen({ host: addr.host, port: addr.port });
  } catch (err) {
    await snapshots.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
      throw new UsageError(
        `cannot listen on ${opts.listen}: ${code}`,
        "pick another --listen address or port",
      );
    }
    throw err;
  }
  const port = (app.server.address() as { port: number }).port;
  guard = {
    token: opts.token,
    allowedHosts: allowedHosts(addr, port, opts.hostNames ?? []),
    scheme,
    cookieName: `breakglass_token_${port}`,
  };
  const shownHost =
    addr.host === "0.0.0.0" || addr.host === "::" ? (opts.hostNames?.[0] ?? addr.host) : addr.host;
  const url = `${scheme}://${hostPort(shownHost, port)}/`;
  return {
    url,
    startUrl: `${url}?token=${encodeURIComponent(opts.token)}`,
    port,
    backend: snapshots.backend,
    close: async () => {
      await app.close();
      await snapshots.close();
    },
  };
}
