// Test helper: MatchedRecords from JSON lines held in memory (no store), a StageContext over them,
// and a small audit log with the shapes the stages care about.
import type { AuditEntry } from "../../src/audit/audit-entry.js";
import type { MatchedRecord, StageContext } from "../../src/query/matched-record.js";

export function matchedRecords(lines: readonly string[]): MatchedRecord[] {
  return lines.map((text, id) => {
    let parsed: AuditEntry | undefined;
    return {
      id,
      line: Buffer.from(text, "utf8"),
      entry: () => (parsed ??= JSON.parse(text) as AuditEntry),
    };
  });
}

export async function* stream<T>(items: readonly T[]): AsyncIterable<T> {
  for (const item of items) yield item;
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

export function contextOf(records: readonly MatchedRecord[]): StageContext {
  return {
    async recordIdsByRequestIds(requestIds) {
      const out = new Map<string, number[]>();
      for (const requestId of requestIds) {
        const ids = records
          .filter((r) => (r.entry().request as { id?: string } | undefined)?.id === requestId)
          .map((r) => r.id);
        out.set(requestId, ids);
      }
      return out;
    },
    record(id) {
      const record = records.find((r) => r.id === id);
      if (!record) throw new RangeError(`no record ${id}`);
      return record;
    },
  };
}

function entry(fields: {
  type: string;
  id: string;
  time: string;
  ip?: string;
  xff?: string;
  path: string;
  op?: string;
  ns?: string;
  lease?: string;
  user?: string;
  ttl?: number;
  policies?: string[];
  error?: string;
  display?: string;
}): string {
  const request: Record<string, unknown> = {
    id: fields.id,
    operation: fields.op ?? "read",
    path: fields.path,
    remote_address: fields.ip ?? "10.0.0.1",
  };
  if (fields.xff) request.headers = { "x-forwarded-for": [fields.xff] };
  if (fields.ns !== undefined) request.namespace = { id: "x", path: fields.ns };
  const e: Record<string, unknown> = {
    time: fields.time,
    type: fields.type,
    auth: {
      client_token: "hmac-sha256:aa",
      display_name: fields.display ?? "approle",
      policies: fields.policies ?? ["default"],
    },
    request,
  };
  if (fields.type.endsWith("response")) {
    const response: Record<string, unknown> = {};
    if (fields.lease) response.secret = { lease_id: fields.lease };
    if (fields.user !== undefined || fields.ttl !== undefined) {
      response.data = { username: fields.user, ttl: fields.ttl };
    }
    e.response = response;
  }
  if (fields.error) e.error = fields.error;
  return JSON.stringify(e);
}

/** A small log: pairs, a failed request without response, kmip, XFF, namespaces, time offsets. */
export const LOG_LINES: readonly string[] = [
  entry({
    type: "request",
    id: "r1",
    time: "2026-01-01T00:00:00Z",
    ip: "10.0.0.5:5696",
    path: "database/creds/app",
  }),
  entry({
    type: "response",
    id: "r1",
    time: "2026-01-01T00:00:00.5Z",
    ip: "10.0.0.5:5696",
    path: "database/creds/app",
    lease: "database/creds/app/L1",
    ns: "team-a/",
    user: "v-app-1",
    ttl: 3600,
  }),
  entry({
    type: "request",
    id: "r2",
    time: "2026-01-01T00:01:00+01:00",
    ip: "2001:db8::1",
    path: "secret/app1",
    policies: ["default", "dev-team"],
  }),
  entry({
    type: "response",
    id: "r2",
    time: "2025-12-31T23:01:00.250Z",
    ip: "2001:db8::1",
    path: "secret/app1",
    policies: ["default", "dev-team"],
    ttl: 60,
  }),
  entry({
    type: "request",
    id: "r3",
    time: "2026-01-01T00:07:30Z",
    ip: "10.0.0.2",
    xff: "203.0.113.7, 10.0.0.9",
    path: "database/creds/app",
  }),
  entry({
    type: "response",
    id: "r3",
    time: "2026-01-01T00:07:31Z",
    ip: "10.0.0.2",
    path: "database/creds/app",
    lease: "database/creds/app/L2",
    ns: "",
    user: "v-app-2",
    ttl: 7200,
  }),
  entry({
    type: "request",
    id: "r4",
    time: "2026-01-01T00:09:00Z",
    ip: "10.0.0.5",
    path: "sys/wrapping/unwrap",
    op: "update",
  }),
  entry({
    type: "response",
    id: "r4",
    time: "2026-01-01T00:09:00Z",
    ip: "10.0.0.5",
    path: "sys/wrapping/unwrap",
    op: "update",
    error: "wrapping token is not valid or does not exist",
  }),
  entry({
    type: "request",
    id: "r5",
    time: "2026-01-01T00:12:00Z",
    ip: "10.0.0.5",
    path: "secret/app1",
    display: "token",
  }),
  entry({
    type: "kmip-request",
    id: "r6",
    time: "2026-01-01T00:15:00Z",
    ip: "10.0.0.7",
    path: "kmip/scope/x",
  }),
  entry({
    type: "kmip-response",
    id: "r6",
    time: "2026-01-01T00:15:01Z",
    ip: "10.0.0.7",
    path: "kmip/scope/x",
    lease: "database/creds/app/L1",
    ns: "team-b/",
    ttl: 9,
  }),
  entry({
    type: "response",
    id: "r7",
    time: "2026-01-01T00:20:00Z",
    ip: "10.0.0.1",
    path: "database/creds/app",
    lease: "database/creds/app/L3",
    ns: "team-a/",
  }),
];
