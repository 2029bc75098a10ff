// The oracle is checked on a log small enough to work out by hand, so that agreeing with it means
// something: records, bad lines, the stored text of a record, and each SPEC field.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { oracleIp, oracleTexts, rfc3339Nanos, scanLogs } from "./scan-log.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-oracle-");
const H1 = `hmac-sha256:${"1".repeat(64)}`;
const H2 = `hmac-sha256:${"2".repeat(64)}`;

const entry = JSON.stringify({
  time: "2026-01-02T03:04:05.123456789Z",
  type: "response",
  auth: {
    client_token: H1,
    accessor: H2,
    display_name: "approle",
    policies: ["default", "app"],
    token_policies: ["default"],
    metadata: { role_name: "app1role" },
    entity_id: "ent-1",
  },
  request: {
    id: "req-1",
    operation: "read",
    path: "database/creds/app",
    mount_type: "database",
    namespace: { id: "root", path: "team-a/" },
    remote_address: "[2001:DB8::1]:443",
    headers: { "x-forwarded-for": ["203.0.113.7, 10.0.0.2:80"] },
    client_token: H1,
  },
  response: { secret: { lease_id: "database/creds/app/L1" }, data: { nested: [H2, "x"] } },
  error: "",
});
const LOG = Buffer.concat([
  Buffer.from(`${entry}\r\n\n  \n[1]\n{"type":""}\n`),
  Buffer.from([0xff, 0x0a]),
  Buffer.from(`{"type":"request","request":{}}  `),
]);

describe("the plain-scan oracle", () => {
  test.each([
    ["plain", LOG],
    ["gzip", gzipSync(LOG)],
  ])("reads a %s log: records, bad lines and the stored text", (_name, bytes) => {
    const file = path.join(tempDir(), "audit.log");
    writeFileSync(file, bytes);
    const scan = scanLogs([file]);
    expect(scan.records.map((r) => [r.lineNo, r.text])).toEqual([
      [1, entry],
      [7, '{"type":"request","request":{}}'],
    ]);
    expect(scan.badLines.map((b) => b.lineNo)).toEqual([4, 5, 6]);
    expect(scan.firstTimeNs).toBe(rfc3339Nanos("2026-01-02T03:04:05.123456789Z"));
  });

  test("collects every SPEC field by name, empty values dropped", () => {
    const file = path.join(tempDir(), "audit.log");
    writeFileSync(file, LOG);
    const values = (field: string) => [...(scanLogs([file]).postings.get(field)?.keys() ?? [])];
    // ip: the remote address and the right-most X-Forwarded-For entry; xff: every entry.
    expect(values("ip")).toEqual(["2001:db8::1", "10.0.0.2"]);
    expect(values("xff")).toEqual(["203.0.113.7", "10.0.0.2"]);
    expect(values("port")).toEqual(["443"]);
    expect(values("outcome")).toEqual(["success"]);
    expect(values("namespace_id")).toEqual(["root"]);
    expect(values("hmac")).toEqual([H1, H2]);
    expect(values("token")).toEqual([H1]);
    expect(values("accessor")).toEqual([H2]);
    expect(values("policy")).toEqual(["default", "app"]);
    expect(values("role")).toEqual(["app1role"]);
    expect(values("lease")).toEqual(["database/creds/app/L1"]);
    expect(values("namespace")).toEqual(["team-a/"]);
    expect(values("type")).toEqual(["response", "request"]);
    expect(values("error")).toEqual([]);
  });

  test.each<[string, object, string, string[]]>([
    ["JWT role", { auth: { metadata: { role: "ci" } } }, "role", ["ci"]],
    [
      "every kind of policy",
      {
        auth: {
          policies: ["a"],
          identity_policies: ["b"],
          external_namespace_policies: { ns1: ["c", "d"], ns2: ["e"] },
        },
      },
      "policy",
      ["a", "b", "c", "d", "e"],
    ],
    ["the root namespace", { request: { namespace: { id: "root" } } }, "namespace", ["root"]],
    [
      "root, path empty",
      { request: { namespace: { id: "root", path: "" } } },
      "namespace",
      ["root"],
    ],
    [
      "a child namespace",
      { request: { namespace: { id: "x1", path: "a/" } } },
      "namespace",
      ["a/"],
    ],
    [
      "XFF: the right-most address for ip",
      {
        request: {
          remote_address: "10.0.0.2",
          headers: { "x-forwarded-for": ["6.6.6.6, 1.2.3.4"] },
        },
      },
      "ip",
      ["10.0.0.2", "1.2.3.4"],
    ],
    [
      "XFF: no ip when the right-most is not an address",
      { request: { headers: { "x-forwarded-for": ["1.2.3.4", "unknown"] } } },
      "ip",
      [],
    ],
    [
      "XFF: every address for xff",
      { request: { headers: { "x-forwarded-for": ["unknown, 1.2.3.4:80", "[::1]:9"] } } },
      "xff",
      ["1.2.3.4:80", "[::1]:9"],
    ],
    ["remote_port", { request: { remote_port: 30001 } }, "port", ["30001"]],
    ["the address's port", { request: { remote_address: "[2001:db8::1]:443" } }, "port", ["443"]],
    ["no port in bare IPv6", { request: { remote_address: "2001:db8::1" } }, "port", []],
    ["outcome of an error", { error: "permission denied" }, "outcome", ["error"]],
    ["outcome of an empty error", { error: "" }, "outcome", ["success"]],
    [
      "granting policies",
      {
        auth: {
          policy_results: { allowed: true, granting_policies: [{ name: "p" }, { type: "x" }] },
        },
      },
      "granted_by",
      ["p"],
    ],
    ["allowed", { auth: { policy_results: { allowed: false } } }, "allowed", ["false"]],
    [
      "kv_path with a mount point",
      { request: { path: "team/kv/data/app/db", mount_point: "team/kv/", mount_type: "kv" } },
      "kv_path",
      ["team/kv/app/db"],
    ],
    [
      "kv_path without one",
      { request: { path: "secret/metadata/app/" } },
      "kv_path",
      ["secret/app"],
    ],
    ["kv_path of a mount's list", { request: { path: "secret/metadata" } }, "kv_path", ["secret"]],
    ["no kv_path off KV", { request: { path: "secret/data/x", mount_type: "pki" } }, "kv_path", []],
    ["no kv_path for KV v1 paths", { request: { path: "secret/app/db" } }, "kv_path", []],
    [
      "headers",
      { request: { headers: { "user-agent": ["curl"], "x-request-id": ["r9"] } } },
      "correlation_id",
      ["r9"],
    ],
    [
      "forwarded_from",
      { forwarded_from: "n2:8201", forwarded: true },
      "forwarded_from",
      ["n2:8201"],
    ],
    ["a time that does not parse", { time: "yesterday" }, "time", []],
  ])("computes by hand: %s", (_name, body, field, expected) => {
    expect(oracleTexts({ type: "request", ...body }, field)).toEqual(expected);
  });

  test.each([
    ["10.0.0.5", "10.0.0.5"],
    ["10.0.0.5:5696", "10.0.0.5"],
    ["[2001:db8::1]:443", "2001:db8::1"],
    ["2001:0DB8:0:0::1", "2001:db8::1"],
    ["::1", "::1"],
    ["not-an-ip", undefined],
  ])("reads the address %s as %s", (text, ip) => {
    expect(oracleIp(text)).toBe(ip);
  });
});
