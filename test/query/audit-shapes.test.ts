// Every shape of audit entry Vault 0.6 to 1.21 and OpenBao 2.x write, indexed and queried by the
// fields responders ask for. Each entry below is named after what it stands for; each query names
// the entries it must find, written by hand from what the entries say, and the query oracle
// (test/oracle/query-oracle.ts, which imports nothing from src/) must agree, as must the index's
// postings for every catalog field.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openIndex, type BreakglassIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { runQuery } from "../../src/query/run-query.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { postingsMismatches } from "../oracle/compare-postings.js";
import {
  and,
  cmp,
  engineAnswer,
  exists,
  inCidr,
  inSubquery,
  not,
  oracleAnswer,
  oracleEntries,
  queryText,
  quoted,
  type OEntry,
  type OExpr,
  type OItem,
} from "../oracle/query-oracle.js";
import { ORACLE_FIELD_NAMES, scanLogs, type LogScan } from "../oracle/scan-log.js";

const tempDir = tempDirs("bg-audit-shapes-");
const H = (c: string): string => `hmac-sha256:${c.repeat(64)}`;

/** Named entries, in log order. */
const SHAPES: readonly (readonly [string, object])[] = [
  [
    // Vault 0.6: every field written, empty ones too; the token fields empty before 0.7.3.
    "vault-0.6",
    {
      time: "2017-04-03T12:21:34Z",
      type: "response",
      auth: {
        client_token: "",
        accessor: "",
        display_name: "root",
        policies: ["root"],
        metadata: null,
      },
      request: {
        id: "0-6",
        operation: "update",
        client_token: H("a"),
        client_token_accessor: H("b"),
        path: "sys/audit/file",
        data: { file_path: H("c") },
        remote_address: "127.0.0.1",
        wrap_ttl: 0,
        headers: {},
      },
      response: {},
      error: "",
    },
  ],
  [
    // Vault 0.8 with log_raw and hmac_accessor=false: tokens, accessors and leases in clear.
    "vault-0.8-log-raw",
    {
      time: "2017-12-12T10:00:01Z",
      type: "response",
      auth: {
        client_token: "5a9a6e1e-3d9a-7b77-5f5b-2f0b0c8e1f21",
        accessor: "0e9c8f7a-1111-2222-3333-444455556666",
        display_name: "token",
        policies: ["default", "db"],
        metadata: null,
      },
      request: {
        id: "0-8",
        operation: "read",
        client_token: "5a9a6e1e-3d9a-7b77-5f5b-2f0b0c8e1f21",
        client_token_accessor: "0e9c8f7a-1111-2222-3333-444455556666",
        path: "database/creds/admin",
        data: null,
        remote_address: "127.0.0.1",
        wrap_ttl: 0,
        headers: {},
      },
      response: {
        secret: { lease_id: "database/creds/admin/8d3b" },
        data: { password: "A1a-clear", username: "v-token-admin" },
      },
      error: "",
    },
  ],
  [
    // Vault 1.4: the root namespace as an id without a path; token_type.
    "vault-1.4",
    {
      time: "2020-04-30T15:31:02.1234567Z",
      type: "request",
      auth: {
        client_token: H("d"),
        accessor: H("e"),
        display_name: "userpass-lab-user-1",
        policies: ["default", "lab"],
        token_policies: ["default", "lab"],
        metadata: { username: "lab-user-1" },
        entity_id: "ent-14",
        token_type: "service",
      },
      request: {
        id: "1-4",
        operation: "read",
        client_token: H("d"),
        client_token_accessor: H("e"),
        namespace: { id: "root" },
        path: "kv-v2/data/app1/db",
        remote_address: "10.10.42.210",
      },
    },
  ],
  [
    // A `help` operation without request.id (seen in Elastic's samples).
    "no-request-id",
    {
      time: "2021-12-01T09:00:00.5Z",
      type: "request",
      auth: { token_type: "default" },
      request: { operation: "help", namespace: { id: "root", path: "" }, path: "sys/mounts" },
    },
  ],
  [
    // Vault 1.13+: mounts, policy results, the remote port, audited headers, a balancer whose
    // client sent its own X-Forwarded-For (left) before the balancer appended the real one.
    "vault-1.13",
    {
      time: "2024-05-06T07:08:09.123456789Z",
      type: "response",
      auth: {
        accessor: H("f"),
        client_token: H("0"),
        display_name: "approle",
        entity_id: "ent-113",
        metadata: { role_name: "app1role" },
        policies: ["default", "kv-read"],
        policy_results: {
          allowed: true,
          granting_policies: [
            { name: "kv-read", namespace_id: "root", type: "acl" },
            { name: "default", namespace_id: "root", type: "acl" },
          ],
        },
        token_policies: ["default", "kv-read"],
        token_type: "batch",
      },
      request: {
        client_token: H("0"),
        client_token_accessor: H("f"),
        headers: {
          "user-agent": ["curl/8.5.0"],
          "correlation-id": ["corr-7"],
          "x-forwarded-for": ["203.0.113.9, 198.51.100.7"],
        },
        id: "1-13",
        mount_accessor: "kv_4c0b2a1e",
        mount_class: "secret",
        mount_point: "secret/",
        mount_running_version: "v0.20.0+builtin",
        mount_type: "kv",
        namespace: { id: "root" },
        operation: "read",
        path: "secret/data/app1/db",
        remote_address: "10.0.0.2",
        remote_port: 443,
      },
      response: { mount_type: "kv", data: { data: { password: H("1") } } },
    },
  ],
  [
    // Enterprise: a request forwarded by a performance standby, in a child namespace, with
    // identity and other namespaces' policies, TLS client certificate serial.
    "vault-1.21-forwarded-request",
    {
      time: "2025-06-05T16:10:22.292517Z",
      type: "request",
      forwarded_from: "vault-1.prod.corp.com:443",
      auth: {
        client_token: H("2"),
        accessor: H("3"),
        display_name: "cert-web",
        policies: ["default"],
        identity_policies: ["team-ident"],
        external_namespace_policies: { ns_abc12: ["team-a-read", "team-a-write"] },
        token_type: "service",
        policy_results: { allowed: false },
      },
      request: {
        id: "1-21",
        operation: "update",
        client_certificate_serial_number: "6193021459867152891",
        mount_point: "team/kv/",
        mount_type: "kv",
        namespace: { id: "ns_abc12", path: "team-a/" },
        path: "team/kv/destroy/web/tls",
        remote_address: "[2001:db8::7]:8443",
      },
      error: "1 error occurred:\n\t* permission denied\n\n",
    },
  ],
  [
    "vault-1.21-forwarded-response",
    {
      time: "2025-06-05T16:10:22.293Z",
      type: "response",
      forwarded: true,
      forwarded_from: "vault-1.prod.corp.com:443",
      auth: { client_token: H("2"), accessor: H("3"), policies: ["default"] },
      request: {
        id: "1-21",
        operation: "update",
        namespace: { id: "ns_abc12", path: "team-a/" },
        path: "team/kv/destroy/web/tls",
        remote_address: "[2001:db8::7]:8443",
      },
      response: {},
      error: "1 error occurred:\n\t* permission denied\n\n",
    },
  ],
  [
    // A JWT login: the new token (with its role) is in response.auth.
    "jwt-login",
    {
      time: "2025-01-02T03:04:05.000000006Z",
      type: "response",
      auth: { token_type: "default" },
      request: {
        id: "jwt-1",
        operation: "update",
        mount_point: "auth/jwt/",
        mount_type: "jwt",
        namespace: { id: "root" },
        path: "auth/jwt/login",
        data: { jwt: H("4"), role: H("5") },
        remote_address: "10.0.0.2",
        headers: { "x-forwarded-for": ["192.0.2.44"], "x-request-id": ["req-abc"] },
      },
      response: {
        auth: {
          client_token: H("6"),
          accessor: H("7"),
          display_name: "jwt-ci",
          policies: ["ci"],
          metadata: { role: "ci-deploy" },
          token_type: "service",
        },
      },
    },
  ],
  [
    // elide_list_responses: the list's keys become their count.
    "elided-list",
    {
      time: "2025-02-03T04:05:06Z",
      type: "response",
      auth: { client_token: H("8"), accessor: H("9"), policies: ["default"] },
      request: {
        id: "elide",
        operation: "list",
        mount_type: "kv",
        namespace: { id: "root" },
        path: "secret/metadata/app1/",
        remote_address: "10.0.0.5:5696",
      },
      response: { data: { keys: 42 } },
    },
  ],
  [
    // An audit device with `exclude` removed the auth object and the client address.
    "excluded",
    {
      time: "2025-03-04T05:06:07Z",
      type: "request",
      request: { id: "excl", operation: "read", path: "secret/data/app1/db", mount_type: "kv" },
    },
  ],
  [
    // OpenBao 2.x with omit_time: no time at all; remote_port, X-Forwarded-For of `unknown`.
    "openbao-omit-time",
    {
      type: "request",
      auth: {
        client_token: H("a"),
        accessor: H("b"),
        policies: ["default"],
        token_type: "service",
      },
      request: {
        id: "bao",
        operation: "read",
        mount_point: "kv/",
        mount_type: "kv",
        namespace: { id: "root" },
        path: "kv/data/app1/db",
        remote_address: "10.0.0.2",
        remote_port: 50123,
        headers: { "x-forwarded-for": ["10.7.7.7, unknown"] },
      },
    },
  ],
  [
    // Keys a log shipper or a hosted service adds at the top (made up: no public sample exists).
    "extra-top-level-keys",
    {
      hostname: "vault-0",
      hcp: { cluster_id: "c-123" },
      time: "2025-04-05T06:07:08Z",
      type: "request",
      request: { id: "extra", operation: "read", path: "sys/health", remote_address: "10.0.0.9" },
    },
  ],
  [
    // Vault Enterprise KMIP: alphabetical keys, an address with a port, a client certificate.
    "kmip",
    {
      request: {
        client_certificate_serial_number: "1000000012345",
        namespace: { id: "root" },
        remote_address: "192.168.0.10:36776",
      },
      time: "2026-05-20T10:00:00Z",
      type: "kmip-request",
    },
  ],
  [
    // A time that does not parse.
    "bad-time",
    {
      time: "yesterday",
      type: "request",
      request: {
        id: "bad-time",
        operation: "read",
        path: "secret/data/x",
        remote_address: "10.0.0.3",
      },
    },
  ],
];

const NAMES = SHAPES.map(([name]) => name);
const LINES = SHAPES.map(([, entry]) => JSON.stringify(entry));
const WITH_TIME = NAMES.filter((n) => n !== "openbao-omit-time" && n !== "bad-time");

/**
 * Queries and the entries they find, worked out by hand from the entries above. The oracle's tree
 * is printed as the query text (queryText), so text and meaning come together.
 */
const CASES: readonly (readonly [OExpr, readonly string[]])[] = [
  // role: AppRole role_name, and JWT/OIDC/Kubernetes role (here in response.auth).
  [cmp("role", "=", "ci-deploy"), ["jwt-login"]],
  [cmp("role", "=", "app1role"), ["vault-1.13"]],
  // policy: token, identity and other namespaces' policies.
  [cmp("policy", "=", "team-a-write"), ["vault-1.21-forwarded-request"]],
  [cmp("policy", "=", "team-ident"), ["vault-1.21-forwarded-request"]],
  // namespace: `root` for {"id":"root"} and for an empty path; namespace_id.
  [
    cmp("namespace", "=", "root"),
    [
      "vault-1.4",
      "no-request-id",
      "vault-1.13",
      "jwt-login",
      "elided-list",
      "openbao-omit-time",
      "kmip",
    ],
  ],
  [
    cmp("namespace", "=", "team-a/"),
    ["vault-1.21-forwarded-request", "vault-1.21-forwarded-response"],
  ],
  [
    cmp("namespace_id", "=", "ns_abc12"),
    ["vault-1.21-forwarded-request", "vault-1.21-forwarded-response"],
  ],
  [
    not(exists("namespace")),
    ["vault-0.6", "vault-0.8-log-raw", "excluded", "extra-top-level-keys", "bad-time"],
  ],
  // ip: the remote address and the right-most X-Forwarded-For address; xff: every one.
  [cmp("ip", "=", "198.51.100.7"), ["vault-1.13"]],
  [cmp("ip", "=", "203.0.113.9"), []],
  [cmp("xff", "=", "203.0.113.9"), ["vault-1.13"]],
  [cmp("ip", "=", "192.0.2.44"), ["jwt-login"]],
  [cmp("ip", "=", "10.7.7.7"), []],
  [cmp("xff", "=", "10.7.7.7"), ["openbao-omit-time"]],
  [
    cmp("ip", "=", "2001:db8::7"),
    ["vault-1.21-forwarded-request", "vault-1.21-forwarded-response"],
  ],
  [
    inCidr("ip", "10.0.0.0/29"),
    ["vault-1.13", "jwt-login", "elided-list", "openbao-omit-time", "bad-time"],
  ],
  // A subquery whose values are not all addresses matches by those that are (it once exited 2).
  [
    inSubquery("ip", exists("request.headers.x-forwarded-for"), "request.headers.x-forwarded-for"),
    ["jwt-login"],
  ],
  [inSubquery("ip", exists("xff"), "xff"), ["vault-1.13", "jwt-login"]],
  [
    inSubquery("ip", cmp("type", "=", "request"), "ip"),
    [
      "vault-1.4",
      "vault-1.13",
      "vault-1.21-forwarded-request",
      "vault-1.21-forwarded-response",
      "jwt-login",
      "openbao-omit-time",
      "extra-top-level-keys",
      "bad-time",
    ],
  ],
  // port: request.remote_port or the address's.
  [cmp("port", "=", "443"), ["vault-1.13"]],
  [
    cmp("port", ">", "8000"),
    ["vault-1.21-forwarded-request", "vault-1.21-forwarded-response", "openbao-omit-time", "kmip"],
  ],
  [cmp("port", "=", "5696"), ["elided-list"]],
  // kv_path: every read, write and browse of one secret, with or without request.mount_point.
  [cmp("kv_path", "=", "secret/app1/db"), ["vault-1.13", "excluded"]],
  [cmp("kv_path", "=", "kv-v2/app1/db"), ["vault-1.4"]],
  [cmp("kv_path", "=", "secret/app1"), ["elided-list"]],
  [cmp("kv_path", "=", "team/kv/web/tls"), ["vault-1.21-forwarded-request"]],
  [cmp("kv_path", "^=", "kv/"), ["openbao-omit-time"]],
  // outcome, allowed, granted_by.
  [cmp("outcome", "=", "error"), ["vault-1.21-forwarded-request", "vault-1.21-forwarded-response"]],
  [cmp("allowed", "=", "false"), ["vault-1.21-forwarded-request"]],
  [cmp("granted_by", "=", "kv-read"), ["vault-1.13"]],
  // Headers, mounts, tokens.
  [cmp("user_agent", "^=", "curl/"), ["vault-1.13"]],
  [cmp("correlation_id", "=", "corr-7"), ["vault-1.13"]],
  [cmp("correlation_id", "=", "req-abc"), ["jwt-login"]],
  [cmp("mount_point", "=", "secret/"), ["vault-1.13"]],
  [cmp("mount_accessor", "=", "kv_4c0b2a1e"), ["vault-1.13"]],
  [cmp("token_type", "=", "batch"), ["vault-1.13"]],
  [cmp("client_cert", "=", "6193021459867152891"), ["vault-1.21-forwarded-request"]],
  // Forwarding: forwarded_from (a catalog field) and forwarded (a top-level key alone).
  [exists("forwarded_from"), ["vault-1.21-forwarded-request", "vault-1.21-forwarded-response"]],
  [cmp("forwarded", "=", "true"), ["vault-1.21-forwarded-response"]],
  // log_raw: the token in clear is a token value, not an HMAC.
  [cmp("token", "=", "5a9a6e1e-3d9a-7b77-5f5b-2f0b0c8e1f21"), ["vault-0.8-log-raw"]],
  [and(cmp("lease", "^=", "database/creds/admin/"), not(exists("hmac"))), ["vault-0.8-log-raw"]],
  // Elided list responses: a count where the keys were.
  [cmp("response.data.keys", "=", "42"), ["elided-list"]],
  // No request.id: still a record, found by its other fields.
  [and(cmp("op", "=", "help"), not(exists("request_id"))), ["no-request-id"]],
  // Time: entries without a parsable time are in no range, and `not exists time` finds them.
  [cmp("time", ">=", "2000-01-01T00:00:00Z"), WITH_TIME],
  [not(exists("time")), ["openbao-omit-time", "bad-time"]],
];

let index: BreakglassIndex;
let entries: OEntry[];
let scan: LogScan;

beforeAll(async () => {
  const dir = tempDir();
  const file = path.join(dir, "audit.log");
  writeFileSync(file, LINES.join("\n") + "\n");
  await indexFiles(path.join(dir, "db"), [file], { workers: 1 });
  index = openIndex(path.join(dir, "db"));
  scan = scanLogs([file]);
  entries = oracleEntries(scan);
}, 60_000);
afterAll(() => index?.close());

const names = (items: readonly OItem[]): string[] =>
  items.map((i) => (i.kind === "record" ? NAMES[LINES.indexOf(i.line)]! : JSON.stringify(i)));

async function engine(text: string): Promise<OItem[]> {
  return engineAnswer((await runQuery(index.engine, text)).items);
}

describe("every shape of audit entry", () => {
  test("is a record, and its fields' postings are the oracle's", () => {
    expect(index.recordCount).toBe(SHAPES.length);
    expect(postingsMismatches(index, scan, ORACLE_FIELD_NAMES)).toEqual([]);
  });

  test.each(CASES.map(([q, want]) => [queryText({ where: q, stages: [] }), q, want] as const))(
    "%s",
    async (text, where, want) => {
      const oracle = names(oracleAnswer({ where, stages: [] }, entries, { salt: "s" }));
      expect(oracle, "the oracle").toEqual(want);
      expect(names(await engine(text)), "the engine").toEqual(want);
    },
  );

  test("a key only some entries have at the top is a field when written with a leading dot", async () => {
    expect(names(await engine(".hostname = vault-0"))).toEqual(["extra-top-level-keys"]);
    expect(names(await engine(".hcp.cluster_id = c-123"))).toEqual(["extra-top-level-keys"]);
    expect(names(await engine("hcp.cluster_id = c-123"))).toEqual(["extra-top-level-keys"]);
  });

  test("fields prints each value once (policies and token_policies repeat each other)", async () => {
    const rows = await engine('request_id = "1-13" | fields policy, granted_by, ip, port, kv_path');
    expect(rows).toEqual([
      {
        kind: "row",
        values: [
          ["default", "kv-read"],
          ["kv-read", "default"],
          ["10.0.0.2", "198.51.100.7"],
          "443",
          "secret/app1/db",
        ],
      },
    ]);
    const fields = {
      where: cmp("request_id", "=", quoted("1-13")),
      stages: [
        { kind: "fields", fields: ["policy", "granted_by", "ip", "port", "kv_path"] },
      ] as const,
    };
    expect(oracleAnswer(fields, entries, { salt: "s" })).toEqual(rows);
  });

  test("stats counts the entries with no time, outside the time span", () => {
    const stats = index.stats();
    expect(stats.noTime).toBe(2);
    expect(scan.noTime).toBe(2);
    expect(stats.firstTime).toBe("2017-04-03T12:21:34Z");
  });
});
