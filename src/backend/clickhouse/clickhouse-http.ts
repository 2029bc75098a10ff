// One ClickHouse server's HTTP interface: run SQL, read rows, insert RowBinary. Node's http/https
// with a keep-alive agent; no client library (18.16 predates what @clickhouse/client expects of a
// server, such as query parameters, and a POST is all a load needs).
// The password goes in the X-ClickHouse-Key header, never in a URL; every error names the server
// (describeTarget: no password) and is scrubbed of the password in case a server echoes it.
// Failures are BackendErrors (InputErrors, exit 3: an unreachable or refusing store is an input
// the run needs), which say whether the server was reached at all (serve: 503 or 502).
import http from "node:http";
import https from "node:https";
import { BackendError } from "../../errors.js";
import { describeTarget, type ClickhouseTarget } from "../backend-url.js";

/** A ClickHouse error body: `Code: 516, e.displayText() = DB::Exception: …`. */
const ERROR_CODE = /Code: (\d+)/;
/** Codes of a user the server does not know, a wrong password, or one not allowed from here. */
const AUTH_CODES = new Set(["192", "193", "194", "195", "516"]);
/** A whole chunk's rows (16 MiB of log) may take a while on a busy shard. */
const REQUEST_TIMEOUT_MS = 10 * 60_000;

export type Settings = Readonly<Record<string, string | number>>;

export class ClickhouseHttp {
  private readonly agent: http.Agent;
  /** How this server is named in messages. */
  readonly name: string;

  constructor(
    readonly target: ClickhouseTarget,
    readonly host: string = target.host,
    readonly port: number = target.port,
  ) {
    const options = { keepAlive: true, maxSockets: 4 };
    this.agent = target.tls
      ? new https.Agent({ ...options, ...(target.ca ? { ca: target.ca } : {}) })
      : new http.Agent(options);
    this.name = describeTarget(target, host, port);
  }

  /** Another server of the same cluster, with the same user, password and TLS settings. */
  sibling(host: string): ClickhouseHttp {
    return new ClickhouseHttp(this.target, host, this.port);
  }

  private scrub(text: string): string {
    const pw = this.target.password;
    return pw ? text.split(pw).join("***") : text;
  }

  /**
   * POST `body` to the server; `query` goes in the URL (an INSERT's statement) or, when there is
   * no body, is the body itself. Resolves with the response text.
   */
  request(
    sql: string,
    body?: Uint8Array | readonly Uint8Array[],
    settings: Settings = {},
  ): Promise<string> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(settings)) params.set(k, String(v));
    if (body !== undefined) params.set("query", sql);
    const headers: Record<string, string> = { "X-ClickHouse-User": this.target.user };
    if (this.target.password !== undefined) headers["X-ClickHouse-Key"] = this.target.password;
    const mod = this.target.tls ? https : http;
    const qs = params.toString();
    return new Promise<string>((resolve, reject) => {
      const req = mod.request(
        {
          host: this.host,
          port: this.port,
          method: "POST",
          path: qs === "" ? "/" : `/?${qs}`,
          headers,
          agent: this.agent,
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", (err) => reject(this.networkError(err)));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if (res.statusCode === 200) resolve(text);
            else reject(this.serverError(res.statusCode ?? 0, text));
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error("no answer in time")));
      req.on("error", (err) => reject(this.networkError(err)));
      if (body === undefined) req.end(sql);
      else if (body instanceof Uint8Array) req.end(body);
      else {
        for (const part of body) req.write(part);
        req.end();
      }
    });
  }

  /** Run a statement that returns nothing (DDL, ALTER). */
  async exec(sql: string, settings: Settings = {}): Promise<void> {
    await this.request(sql, undefined, settings);
  }

  /** Run a SELECT and parse its rows (`FORMAT JSONEachRow` is appended; 64-bit ints as strings). */
  async rows<T>(sql: string): Promise<T[]> {
    const text = await this.request(`${sql} FORMAT JSONEachRow`);
    return text
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as T);
  }

  /** Insert RowBinary rows: `insertSql` ends in `FORMAT RowBinary`. */
  async insert(
    insertSql: string,
    body: Uint8Array | readonly Uint8Array[],
    settings: Settings = {},
  ): Promise<void> {
    await this.request(insertSql, body, settings);
  }

  private networkError(err: Error): BackendError {
    const code = (err as NodeJS.ErrnoException).code;
    const why = this.scrub(code ?? err.message);
    if (/CERT|SSL|TLS|SIGNATURE/.test(code ?? "")) {
      return new BackendError(
        `cannot verify the TLS certificate of ClickHouse at ${this.name}: ${why}`,
        false,
        "give the CA that signed it with --ca FILE",
      );
    }
    return new BackendError(
      `cannot reach ClickHouse at ${this.name}: ${why}`,
      false,
      "is the server running, and are the host and HTTP port right?",
    );
  }

  private serverError(status: number, body: string): BackendError {
    const code = ERROR_CODE.exec(body)?.[1];
    const text = this.scrub(body.trim().replace(/, e\.what\(\) = DB::Exception$/, "")).slice(
      0,
      500,
    );
    if (code !== undefined && AUTH_CODES.has(code)) {
      return new BackendError(
        `ClickHouse at ${this.name} refused user ${this.target.user}: ${text}`,
        true,
        "check the user, and the password in $CLICKHOUSE_PASSWORD",
      );
    }
    return new BackendError(`ClickHouse at ${this.name} failed (HTTP ${status}): ${text}`, true);
  }

  close(): void {
    this.agent.destroy();
  }
}
