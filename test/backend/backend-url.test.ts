// --backend URL / $BREAKGLASS_BACKEND: what a ClickHouse URL means, what is refused, and that the
// password (from $CLICKHOUSE_PASSWORD only) never shows in a message.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import {
  describeTarget,
  parseClickhouseUrl,
  resolveBackend,
  type ClickhouseTarget,
} from "../../src/backend/backend-url.js";
import { ExitCode, UsageError } from "../../src/errors.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-backend-url-");
const PASSWORD = "hunter2-very-secret";

function parse(url: string): ClickhouseTarget {
  return parseClickhouseUrl(url, { CLICKHOUSE_PASSWORD: PASSWORD });
}

describe("a clickhouse:// backend URL", () => {
  test.each([
    [
      "clickhouse://ch1:8123/audit",
      {
        host: "ch1",
        port: 8123,
        user: "default",
        database: "audit",
        cluster: undefined,
        tls: false,
      },
    ],
    [
      "clickhouse://loader@ch1/audit",
      {
        host: "ch1",
        port: 8123,
        user: "loader",
        database: "audit",
        cluster: undefined,
        tls: false,
      },
    ],
    [
      "clickhouses://r@ch1/audit",
      { host: "ch1", port: 8443, user: "r", database: "audit", cluster: undefined, tls: true },
    ],
    [
      "clickhouse://u@10.0.0.5:9123/logs?cluster=prod_2",
      { host: "10.0.0.5", port: 9123, user: "u", database: "logs", cluster: "prod_2", tls: false },
    ],
    [
      "clickhouse://u@[::1]:8123/logs",
      { host: "::1", port: 8123, user: "u", database: "logs", cluster: undefined, tls: false },
    ],
  ])("%s", (url, expected) => {
    const t = parse(url);
    expect({
      host: t.host,
      port: t.port,
      user: t.user,
      database: t.database,
      cluster: t.cluster,
      tls: t.tls,
    }).toEqual(expected);
    expect(t.password).toBe(PASSWORD);
  });

  test("takes no password from anywhere but $CLICKHOUSE_PASSWORD", () => {
    expect(parseClickhouseUrl("clickhouse://h/db", {}).password).toBeUndefined();
  });

  test.each([
    ["http://h:8123/db", /unknown backend/],
    ["clickhouse://h:8123/", /names no database/],
    ["clickhouse://h:8123/db;drop", /not a plain name/],
    ["clickhouse://h:8123/db?cluster=a'b", /not a cluster name/],
    ["clickhouse://h:8123/db?shard=1", /unknown backend URL parameter "shard"/],
    ["clickhouse:///db", /not a valid backend URL|names no host/],
  ])("refuses %s (exit 2)", (url, message) => {
    let err: unknown;
    try {
      parse(url);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.usage);
    expect((err as Error).message).toMatch(message);
  });

  test("refuses a password in the URL without repeating it", () => {
    let err: unknown;
    try {
      parse(`clickhouse://u:${PASSWORD}@h:8123/db`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    const text = `${(err as UsageError).message} ${(err as UsageError).hint}`;
    expect(text).toMatch(/CLICKHOUSE_PASSWORD/);
    expect(text).not.toContain(PASSWORD);
  });

  test("is described without its password", () => {
    expect(describeTarget(parse("clickhouse://u@h:1/db?cluster=c"))).toBe("clickhouse://u@h:1/db");
  });

  test("--ca reads a CA file for clickhouses://, and is refused for clickhouse://", () => {
    const ca = path.join(tempDir(), "ca.pem");
    writeFileSync(ca, "-----BEGIN CERTIFICATE-----\n");
    expect(parseClickhouseUrl("clickhouses://h/db", {}, ca).ca?.toString()).toContain("BEGIN");
    expect(() => parseClickhouseUrl("clickhouse://h/db", {}, ca)).toThrow(/--ca needs/);
    expect(() => parseClickhouseUrl("clickhouses://h/db", {}, ca + ".missing")).toThrow(
      /cannot read --ca/,
    );
  });
});

describe("which backend a command uses", () => {
  test("--backend, else $BREAKGLASS_BACKEND, else the local index", () => {
    const env = { BREAKGLASS_BACKEND: "clickhouse://e@envhost/db" };
    expect(resolveBackend(undefined, {})).toEqual({ kind: "local" });
    expect(resolveBackend(undefined, env)).toMatchObject({ kind: "clickhouse", host: "envhost" });
    expect(resolveBackend("clickhouse://f@flaghost/db", env)).toMatchObject({ host: "flaghost" });
    expect(resolveBackend("local", env)).toEqual({ kind: "local" });
  });
});
