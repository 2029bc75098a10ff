// Which values do the point-lookup benchmarks ask for? Real ones, taken from random lines of the
// log (seeded, so runs are comparable): a line is read at a random byte offset, cut at the next
// newline, parsed with JSON.parse, and its ip, request id, lease id and one of its HMAC strings
// are kept. Reads only a few hundred KiB-sized windows, never the whole file.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { hmacValues, valuesAtPath } from "../src/audit/audit-entry.js";
import { mulberry32 } from "../src/demo/seeded-random.js";

export interface SampledValues {
  readonly ip: readonly string[];
  readonly hmac: readonly string[];
  readonly lease: readonly string[];
  readonly requestId: readonly string[];
}

/** Long enough for any generated line (they are ~1 KiB) plus the partial line before it. */
const WINDOW_BYTES = 64 << 10;
/** Give up on a kind after this many lines per wanted value (lease ids are on ~1 line in 10). */
const MAX_TRIES_PER_VALUE = 200;

/** Up to `count` distinct values of each kind (fewer when the file has fewer). */
export function sampleValues(file: string, count: number, seed = 1): SampledValues {
  const random = mulberry32(seed);
  const sets = {
    ip: new Set<string>(),
    hmac: new Set<string>(),
    lease: new Set<string>(),
    requestId: new Set<string>(),
  };
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(WINDOW_BYTES);
    for (let tries = 0; tries < count * MAX_TRIES_PER_VALUE; tries++) {
      if (Object.values(sets).every((s) => s.size >= count)) break;
      const n = readSync(fd, buf, 0, WINDOW_BYTES, Math.floor(random() * size));
      const window = buf.subarray(0, n);
      const start = window.indexOf(10) + 1;
      const end = window.indexOf(10, start);
      if (start === 0 || end < 0) continue;
      let entry: unknown;
      try {
        entry = JSON.parse(window.toString("utf8", start, end));
      } catch {
        continue;
      }
      const [ip] = valuesAtPath(entry, "request.remote_address");
      const [requestId] = valuesAtPath(entry, "request.id");
      const [lease] = valuesAtPath(entry, "response.secret.lease_id");
      const hmacs = hmacValues(entry);
      const hmac = hmacs[Math.floor(random() * hmacs.length)];
      if (typeof ip === "string" && ip && sets.ip.size < count) sets.ip.add(ip);
      if (typeof requestId === "string" && requestId && sets.requestId.size < count) {
        sets.requestId.add(requestId);
      }
      if (typeof lease === "string" && lease && sets.lease.size < count) sets.lease.add(lease);
      if (hmac !== undefined && sets.hmac.size < count) sets.hmac.add(hmac);
    }
  } finally {
    closeSync(fd);
  }
  return {
    ip: [...sets.ip],
    hmac: [...sets.hmac],
    lease: [...sets.lease],
    requestId: [...sets.requestId],
  };
}
