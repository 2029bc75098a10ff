// A SELECT sent to ClickHouse's HTTP interface, its answer read as a stream of bytes: the query
// backend's rows arrive while the server still sends them, and a consumer that stops early (a
// `limit`, `| head`) aborts the request, which stops the query on the server.
// The password travels in the X-ClickHouse-Key header only; errors name the server without it and
// are BackendErrors (exit 3; serve: 503 when the server cannot be reached, 502 when it failed).
import http from "node:http";
import https from "node:https";
import { BackendError } from "../../errors.js";
import type { ClickhouseTarget } from "../backend-url.js";

/** Where the query backend connects: a parsed `--backend` URL (backend-url.ts). */
export type ClickhouseEndpoint = Omit<ClickhouseTarget, "kind">;

/** A server as messages name it (no password). */
export function endpointName(e: ClickhouseEndpoint): string {
  const h = e.host.includes(":") ? `[${e.host}]` : e.host;
  return `${e.tls ? "clickhouses" : "clickhouse"}://${e.user}@${h}:${e.port}/${e.database}`;
}

export class ClickhouseQueryStream {
  private readonly agent: http.Agent;

  constructor(readonly endpoint: ClickhouseEndpoint) {
    const options = { keepAlive: true, maxSockets: 4 };
    this.agent = endpoint.tls
      ? new https.Agent({ ...options, ...(endpoint.ca ? { ca: endpoint.ca } : {}) })
      : new http.Agent(options);
  }

  private scrub(text: string): string {
    const pw = this.endpoint.password;
    return pw ? text.split(pw).join("***") : text;
  }

  /** The answer's bytes as they arrive. Breaking out of the loop aborts the request. */
  async *stream(sql: string): AsyncGenerator<Buffer> {
    const e = this.endpoint;
    const headers: Record<string, string> = { "X-ClickHouse-User": e.user };
    if (e.password !== undefined) headers["X-ClickHouse-Key"] = e.password;
    const params = new URLSearchParams({ database: e.database });
    const mod = e.tls ? https : http;
    const name = endpointName(e);
    const req = mod.request({
      host: e.host,
      port: e.port,
      method: "POST",
      path: `/?${params.toString()}`,
      headers,
      agent: this.agent,
    });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      req.on("response", resolve);
      req.on("error", (err) => reject(this.unreachable(name, err)));
    });
    req.end(sql);
    const res = await response;
    try {
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        for await (const c of res) chunks.push(c as Buffer);
        const body = this.scrub(Buffer.concat(chunks).toString("utf8").trim()).slice(0, 500);
        throw new BackendError(
          `ClickHouse at ${name} failed (HTTP ${res.statusCode}): ${body}`,
          true,
        );
      }
      try {
        for await (const chunk of res) yield chunk as Buffer;
      } catch (err) {
        // The connection broke while the rows came (the server stopped or the network failed).
        throw err instanceof BackendError ? err : this.unreachable(name, err as Error);
      }
    } finally {
      if (!res.complete) req.destroy();
    }
  }

  private unreachable(name: string, err: Error): BackendError {
    const why = (err as NodeJS.ErrnoException).code ?? err.message;
    return new BackendError(
      `cannot reach ClickHouse at ${name}: ${this.scrub(why)}`,
      false,
      "is the server running, and are the host and HTTP port right?",
    );
  }

  /** The whole answer as text (small answers: counts, schema checks). */
  async text(sql: string): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of this.stream(sql)) chunks.push(c);
    return Buffer.concat(chunks).toString("utf8");
  }

  close(): void {
    this.agent.destroy();
  }
}
