// The generator's promises, checked by plain scans of the lines it writes (no breakglass code
// reads them here): determinism, Vault's shapes, and every planted fact.
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  generateAuditLines,
  plantedIncidents,
  writeAuditLog,
  type GenerateOptions,
  type GenerateResult,
} from "../../src/demo/generate-log.js";

type Entry = Record<string, unknown> & { type: string };
type Obj = Record<string, unknown>;

const SALT = "test-salt";
const OPTS: GenerateOptions = { seed: 7, targetBytes: 2_000_000, salt: SALT };

function obj(value: unknown): Obj | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Obj)
    : undefined;
}

function hmac(plaintext: string): string {
  return "hmac-sha256:" + createHmac("sha256", SALT).update(plaintext).digest("hex");
}

/** Every audited X-Forwarded-For entry, left (client supplied) to right (the balancer's). */
function forwardedFor(entry: Entry): string[] {
  const xff = obj(obj(entry.request)?.headers)?.["x-forwarded-for"];
  return Array.isArray(xff)
    ? xff.flatMap((v) =>
        String(v)
          .split(",")
          .map((p) => p.trim()),
      )
    : [];
}

/** The client addresses of an entry: remote_address and the right-most X-Forwarded-For entry. */
function clientIps(entry: Entry): string[] {
  const request = obj(entry.request);
  const ips: string[] = [];
  if (typeof request?.remote_address === "string") ips.push(request.remote_address);
  const xff = forwardedFor(entry);
  if (xff.length > 0) ips.push(xff[xff.length - 1]!);
  return ips;
}

function leaseOf(entry: Entry): string | undefined {
  const lease = obj(obj(obj(entry.response)?.secret))?.lease_id;
  return typeof lease === "string" && lease !== "" ? lease : undefined;
}

let dir: string;
let lines: string[];
let entries: Entry[];
let result: GenerateResult;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "breakglass-generate-"));
  const file = join(dir, "audit.log");
  result = await writeAuditLog(file, OPTS);
  const text = readFileSync(file, "utf8");
  expect(text.endsWith("\n")).toBe(true);
  lines = text.slice(0, -1).split("\n");
  entries = lines.map((line) => JSON.parse(line) as Entry);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("generateAuditLines", () => {
  test("the same seed and options give byte-identical output", () => {
    const opts = { seed: 3, targetBytes: 200_000, salt: SALT };
    expect([...generateAuditLines(opts)].join("\n")).toBe([...generateAuditLines(opts)].join("\n"));
  });

  test("a different seed gives different output", () => {
    const a = [...generateAuditLines({ seed: 3, targetBytes: 50_000, salt: SALT })];
    const b = [...generateAuditLines({ seed: 4, targetBytes: 50_000, salt: SALT })];
    expect(a.join("\n")).not.toBe(b.join("\n"));
  });

  test("writeAuditLog writes exactly the generated lines and counts them", () => {
    const generated = [...generateAuditLines(OPTS)];
    expect(lines).toEqual(generated);
    expect(result.lines).toBe(lines.length);
    expect(result.bytes).toBe(Buffer.byteLength(lines.join("\n") + "\n"));
  });

  test.each([1_000, 50_000, 300_000])(
    "without planting, output stops within one pair after reaching %i bytes",
    (targetBytes) => {
      const out = [...generateAuditLines({ seed: 11, targetBytes, salt: SALT, plant: false })];
      const sizes = out.map((line) => line.length + 1);
      const total = sizes.reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThanOrEqual(targetBytes);
      // Drop the last pair (one response and its request, or a lone request): now short of the target.
      const last = JSON.parse(out[out.length - 1] as string) as Entry;
      const lastPairLines = last.type === "response" || last.type === "kmip-response" ? 2 : 1;
      const beforeLastPair = sizes.slice(0, -lastPairLines).reduce((a, b) => a + b, 0);
      expect(beforeLastPair).toBeLessThan(targetBytes);
    },
  );

  test("a tiny target still gets every planted pair", () => {
    const opts = { seed: 1, targetBytes: 1, salt: SALT };
    const text = [...generateAuditLines(opts)].join("\n");
    const planted = plantedIncidents(opts)!;
    for (const lease of planted.compromisedIpLeases) expect(text).toContain(`"${lease}"`);
    expect(text).toContain(planted.leakedPasswordHmac);
    expect(text.split(planted.stolenWrappingTokenHmac).length - 1).toBeGreaterThanOrEqual(5);
  });

  test("plantedIncidents tells the same facts as writeAuditLog", () => {
    expect(plantedIncidents(OPTS)).toEqual(result.planted);
    expect(plantedIncidents({ ...OPTS, plant: false })).toBeUndefined();
  });
});

describe("a generated log looks like Vault's", () => {
  test("every line is a JSON object with a string type", () => {
    for (const entry of entries) expect(typeof entry.type).toBe("string");
    const types = new Set(entries.map((e) => e.type));
    expect([...types].sort()).toEqual(["kmip-request", "kmip-response", "request", "response"]);
  });

  test("lines are mostly 600-1500 bytes", () => {
    const typical = lines.filter((line) => line.length >= 600 && line.length <= 1500).length;
    expect(typical / lines.length).toBeGreaterThan(0.7);
  });

  test("times increase and carry 7 to 9 fractional digits; a few entries have none (omit_time)", () => {
    let previous = "";
    const timed = entries.filter((e) => e.time !== undefined);
    expect(entries.length - timed.length).toBeGreaterThan(0);
    expect(entries.length - timed.length).toBeLessThan(entries.length * 0.01);
    for (const entry of timed) {
      const time = entry.time as string;
      expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7,9}Z$/);
      const padded = time.slice(0, 20) + time.slice(20, -1).padEnd(9, "0");
      expect(padded > previous).toBe(true);
      previous = padded;
    }
    expect(entries[0]?.time).toMatch(/^2026-11-20T00:00:00\./);
  });

  test("each response follows a request with the same id and repeats its request object", () => {
    const requests = new Map<string, string>();
    let responses = 0;
    for (const entry of entries) {
      if (entry.type !== "request" && entry.type !== "response") continue;
      const request = obj(entry.request);
      const id = request?.id as string;
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      if (entry.type === "request") requests.set(id, JSON.stringify(request));
      else {
        responses++;
        expect(requests.get(id)).toBe(JSON.stringify(request));
        requests.delete(id);
      }
    }
    // About 1% of requests never get a response.
    expect(requests.size).toBeGreaterThan(0);
    expect(requests.size).toBeLessThan(responses * 0.03);
  });

  test("both Go struct key order and alphabetical key order are present", () => {
    const goOrder = entries.filter((e) => Object.keys(e)[0] === "time").length;
    const alphabetical = entries.filter((e) => {
      const keys = Object.keys(e);
      return keys[0] !== "time" && keys.join() === [...keys].sort().join();
    }).length;
    expect(goOrder / entries.length).toBeGreaterThan(0.6);
    expect(alphabetical / entries.length).toBeGreaterThan(0.1);
  });

  test("older entries write empty fields and newer ones omit them", () => {
    expect(lines.some((line) => line.includes('"error":""') && line.includes('"data":null'))).toBe(
      true,
    );
    expect(entries.some((e) => e.type === "request" && !("error" in e) && !("auth" in e))).toBe(
      true,
    );
  });

  test("addresses include IPv6, addresses with a port, and a load balancer with X-Forwarded-For", () => {
    const addresses = entries.map((e) => obj(e.request)?.remote_address as string);
    expect(addresses.some((a) => a.startsWith("2001:db8:"))).toBe(true);
    expect(addresses).toContain("[2001:db8::10]:36778");
    expect(
      addresses.filter((a) => a.startsWith("10.100.") || a.startsWith("10.103.")).length,
    ).toBeGreaterThan(entries.length / 2);
    const forwarded = entries.filter((e) => clientIps(e).length === 2);
    expect(forwarded.length).toBeGreaterThan(entries.length * 0.02);
    for (const e of forwarded) expect(obj(e.request)?.remote_address).toBe("10.0.0.2");
  });

  test("newer shapes: JWT and Kubernetes roles, spoofable X-Forwarded-For, mounts, policy results", () => {
    const auth = (e: Entry) => obj(e.auth);
    const request = (e: Entry) => obj(e.request);
    expect(entries.some((e) => obj(auth(e)?.metadata)?.role !== undefined)).toBe(true);
    // Client-supplied entries left of the balancer's, some of them not addresses at all.
    const xffs = entries.map(forwardedFor).filter((x) => x.length > 1);
    expect(xffs.length).toBeGreaterThan(0);
    expect(xffs.some((x) => x.includes("unknown"))).toBe(true);
    expect(xffs.some((x) => x[0]!.startsWith("203.0.113."))).toBe(true);
    // The root namespace as Vault writes it: an id and no path.
    expect(
      entries.some((e) => JSON.stringify(request(e)?.namespace) === JSON.stringify({ id: "root" })),
    ).toBe(true);
    expect(entries.some((e) => request(e)?.mount_point === "secret/")).toBe(true);
    expect(entries.some((e) => typeof request(e)?.mount_accessor === "string")).toBe(true);
    const results = entries.map((e) => obj(auth(e)?.policy_results)).filter((r) => r);
    expect(results.some((r) => r!.allowed === true)).toBe(true);
    expect(results.some((r) => r!.allowed === false)).toBe(true);
    expect(entries.some((e) => Array.isArray(auth(e)?.identity_policies))).toBe(true);
    expect(entries.some((e) => obj(auth(e)?.external_namespace_policies))).toBe(true);
    expect(entries.some((e) => e.forwarded_from !== undefined)).toBe(true);
    expect(entries.some((e) => obj(request(e)?.headers)?.["user-agent"])).toBe(true);
    const paths = entries.map((e) => String(request(e)?.path));
    expect(paths.some((p) => p.startsWith("secret/metadata/"))).toBe(true);
    expect(paths.some((p) => /^secret\/(delete|undelete|destroy)\//.test(p))).toBe(true);
  });

  test("values are HMAC'd, database leases look like Vault's, and errors come in both spellings", () => {
    for (const e of entries) {
      const data = obj(obj(e.response)?.data);
      if (typeof data?.password === "string")
        expect(data.password).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
      const lease = leaseOf(e);
      if (lease) expect(lease).toMatch(/^database\/creds\/[\w-]+\/[A-Za-z0-9]{24}(\.abc12)?$/);
    }
    const errors = new Set(entries.map((e) => e.error));
    expect(errors).toContain("permission denied");
    expect(errors).toContain("1 error occurred:\n\t* permission denied\n\n");
    const paths = new Set(entries.map((e) => obj(e.request)?.path));
    for (const path of [
      "auth/approle/login",
      "auth/token/lookup-self",
      "sys/leases/renew",
      "sys/wrapping/unwrap",
      "pki_int/issue/example-dot-com",
      "sys/internal/ui/mounts",
    ])
      expect(paths).toContain(path);
    expect(entries.some((e) => obj(obj(e.request)?.namespace)?.path === "team-a/")).toBe(true);
    expect(entries.some((e) => obj(obj(e.response)?.wrap_info)?.token !== undefined)).toBe(true);
  });
});

describe("the planted incidents", () => {
  test("the leaked password's HMAC appears in exactly one response, whose lease is leakedPasswordLease", () => {
    const planted = result.planted!;
    const expected = hmac(planted.leakedPassword);
    expect(planted.leakedPasswordHmac).toBe(expected);
    const hits = lines.filter((line) => line.includes(expected));
    expect(hits.length).toBe(1);
    const entry = JSON.parse(hits[0] as string) as Entry;
    expect(entry.type).toBe("response");
    expect(obj(obj(entry.response)?.data)?.password).toBe(expected);
    expect(leaseOf(entry)).toBe(planted.leakedPasswordLease);
    expect(obj(entry.request)?.path).toMatch(/^database\/creds\//);
  });

  test("the leases of responses to the compromised IP are exactly compromisedIpLeases, in order", () => {
    const planted = result.planted!;
    const leases = entries
      .filter((e) => e.type === "response" && clientIps(e).includes(planted.compromisedIp))
      .map(leaseOf)
      .filter((lease) => lease !== undefined);
    expect(leases.length).toBeGreaterThanOrEqual(3);
    expect(leases).toEqual(planted.compromisedIpLeases);
  });

  test("the compromised IP's requests are spread from the start to the end of the file", () => {
    const planted = result.planted!;
    const positions = entries.flatMap((e, i) =>
      clientIps(e).includes(planted.compromisedIp) ? [i / entries.length] : [],
    );
    expect(Math.min(...positions)).toBeLessThan(0.1);
    expect(positions.some((p) => p > 0.4 && p < 0.7)).toBe(true);
    expect(Math.max(...positions)).toBeGreaterThan(0.85);
  });

  test("the compromised IP logs in with AppRole as approleRole, and its token's requests carry that role", () => {
    const planted = result.planted!;
    const logins = entries.filter(
      (e) =>
        e.type === "response" &&
        obj(e.request)?.path === "auth/approle/login" &&
        clientIps(e).includes(planted.compromisedIp),
    );
    expect(logins.length).toBeGreaterThanOrEqual(1);
    const tokens = new Set<unknown>();
    for (const login of logins) {
      const auth = obj(obj(login.response)?.auth);
      expect(obj(auth?.metadata)?.role_name).toBe(planted.approleRole);
      tokens.add(auth?.client_token);
    }
    const used = entries.filter((e) => tokens.has(obj(e.request)?.client_token));
    expect(used.length).toBeGreaterThanOrEqual(2);
    for (const e of used) expect(obj(obj(e.auth)?.metadata)?.role_name).toBe(planted.approleRole);
  });

  test("the stolen wrapping token fails to unwrap only from failedUnwrapIp, after being unwrapped elsewhere", () => {
    const planted = result.planted!;
    expect(planted.stolenWrappingTokenHmac).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    const withToken = entries.filter((e) =>
      JSON.stringify(e).includes(planted.stolenWrappingTokenHmac),
    );
    const failed = withToken.filter(
      (e) =>
        obj(e.request)?.path === "sys/wrapping/unwrap" &&
        typeof e.error === "string" &&
        e.error.includes("not valid"),
    );
    expect(failed.length).toBeGreaterThanOrEqual(2);
    for (const e of failed) {
      expect(e.error).toBe("wrapping token is not valid or does not exist");
      expect(clientIps(e)).toContain(planted.failedUnwrapIp);
    }
    const succeeded = withToken.filter(
      (e) => e.type === "response" && obj(e.request)?.path === "sys/wrapping/unwrap" && !e.error,
    );
    expect(succeeded.map((e) => clientIps(e)[0])).toEqual([planted.compromisedIp]);
    // Other failed unwraps exist too, so the token's HMAC is what tells them apart.
    const allFailed = entries.filter(
      (e) => e.type === "response" && obj(e.request)?.path === "sys/wrapping/unwrap" && e.error,
    );
    expect(allFailed.length).toBeGreaterThan(failed.length);
  });

  test("with plant false nothing of the story is there", () => {
    const out = [...generateAuditLines({ ...OPTS, targetBytes: 300_000, plant: false })];
    expect(out.some((line) => line.includes('"10.103.9.43"'))).toBe(false);
  });
});
