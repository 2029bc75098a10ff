// One stream of Vault audit entries written to two audit devices, as Vault writes them: the same
// entries, each device HMAC-ing the same values with its own salt (audit/audit-hmac.ts). With
// `times: "same"` both devices carry the same time on every entry (Vault ≥ 1.16.2); with
// `"nearest"` each device stamps its own, a few hundred microseconds apart (older Vaults).
// Requests come 1–3 s apart, each a request and a response line; clients (tokens, accessors,
// addresses) are reused, so every HMAC value appears in many entries. Seeded: same options,
// same lines.
import { auditHmac } from "../../src/audit/audit-hmac.js";
import { mulberry32 } from "../../src/demo/seeded-random.js";

export interface TwoDeviceOptions {
  readonly requests: number;
  readonly times: "same" | "nearest";
  readonly seed?: number;
  readonly startTime?: string;
}

export interface TwoDeviceLog {
  /** Device A's lines and device B's (no newlines), entry for entry. */
  readonly a: string[];
  readonly b: string[];
  /** Each line's time in ms since 1970 (the same index in a and b). */
  readonly timeMs: number[];
}

const SALT_A = "salt-of-device-a";
const SALT_B = "salt-of-device-b";
const PATHS = [
  "secret/data/app1",
  "secret/data/app2",
  "database/creds/readonly",
  "auth/token/lookup-self",
];

/** A plaintext the device HMACs. */
class Hashed {
  constructor(readonly plaintext: string) {}
}

type Plain = string | number | boolean | Hashed | Plain[] | { [key: string]: Plain };

function render(value: Plain, salt: string): unknown {
  if (value instanceof Hashed) return auditHmac(salt, value.plaintext);
  if (Array.isArray(value)) return value.map((v) => render(v, salt));
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = render(v, salt);
    return out;
  }
  return value;
}

/** RFC 3339 with microseconds: `ms` plus `micros` (0–999). */
function timeText(ms: number, micros: number): string {
  return new Date(ms).toISOString().replace("Z", `${String(micros).padStart(3, "0")}Z`);
}

export function twoDeviceLog(opts: TwoDeviceOptions): TwoDeviceLog {
  const rng = mulberry32(opts.seed ?? 11);
  const hex = (n: number): string =>
    Array.from({ length: n }, () => Math.floor(rng() * 16).toString(16)).join("");
  const clients = Array.from({ length: 12 }, (_, i) => ({
    token: `hvs.${hex(24)}`,
    accessor: hex(24),
    ip: `10.1.${i}.${10 + i}`,
    name: `app-${i}`,
  }));
  const a: string[] = [];
  const b: string[] = [];
  const timeMs: number[] = [];
  let t = Date.parse(opts.startTime ?? "2026-11-20T00:00:00Z");
  const push = (entry: Record<string, Plain>, ms: number): void => {
    const microsA = Math.floor(rng() * 1000);
    const microsB = opts.times === "same" ? microsA : Math.floor(rng() * 1000);
    const msB = opts.times === "same" ? ms : ms + Math.floor(rng() * 3);
    a.push(JSON.stringify({ time: timeText(ms, microsA), ...(render(entry, SALT_A) as object) }));
    b.push(JSON.stringify({ time: timeText(msB, microsB), ...(render(entry, SALT_B) as object) }));
    timeMs.push(ms);
  };
  for (let r = 0; r < opts.requests; r++) {
    t += 1000 + Math.floor(rng() * 2000);
    const c = clients[Math.floor(rng() * clients.length)]!;
    const path = PATHS[Math.floor(rng() * PATHS.length)]!;
    const id = `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
    const auth: Record<string, Plain> = {
      client_token: new Hashed(c.token),
      accessor: new Hashed(c.accessor),
      display_name: c.name,
      policies: ["default", "app"],
      token_type: "service",
    };
    const request: Record<string, Plain> = {
      id,
      operation: path.startsWith("auth/") ? "update" : "read",
      mount_type: path.split("/")[0]!,
      client_token: new Hashed(c.token),
      client_token_accessor: new Hashed(c.accessor),
      namespace: { id: "root" },
      path,
      remote_address: c.ip,
    };
    push({ type: "request", auth, request }, t);
    const response: Record<string, Plain> = path.startsWith("database/")
      ? {
          secret: { lease_id: `${path}/${hex(20)}` },
          data: { username: new Hashed(`v-${c.name}-${hex(6)}`), password: new Hashed(hex(20)) },
        }
      : { data: { value: new Hashed(`value-of-${path}`) } };
    push({ type: "response", auth, request, response }, t + 3 + Math.floor(rng() * 20));
  }
  return { a, b, timeMs };
}
