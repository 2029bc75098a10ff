// Values computed from an audit entry rather than read at one path (field-catalog.ts, `derived`):
// the one definition both ingest (extract-terms.ts) and queries (audit-entry.ts) use. Each
// derivation reads the entry by name and hands texts to `out`; which texts are values of the
// field is then decided by its kind (an X-Forwarded-For entry `unknown` is no `ip`). Pure; safe
// in workers. Hot path: a few property reads per entry, no allocation for entries that lack the
// inputs.
import { HMAC_PREFIX } from "./audit-hmac.js";
import type { Derivation } from "./field-catalog.js";
import { originOf } from "./record-origin.js";

export type TextOut = (text: string) => void;

function object(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : undefined;
}

function request(entry: unknown): Record<string, unknown> | undefined {
  return object(object(entry)?.request);
}

function everyHmac(node: unknown, out: TextOut): void {
  if (typeof node === "string") {
    if (node.startsWith(HMAC_PREFIX)) out(node);
  } else if (typeof node === "object" && node !== null) {
    if (Array.isArray(node)) for (const item of node) everyHmac(item, out);
    else for (const key in node) everyHmac((node as Record<string, unknown>)[key], out);
  }
}

/**
 * The audited X-Forwarded-For entries in order: the header's values (Vault writes an array of
 * strings; a plain string is read too), each split at commas ("client, proxy1, proxy2"), trimmed,
 * empty ones dropped.
 */
function forwardedFor(entry: unknown, each: TextOut): void {
  const header = object(request(entry)?.headers)?.["x-forwarded-for"];
  if (header === undefined || header === null) return;
  const values = Array.isArray(header) ? header : [header];
  for (const value of values) {
    if (typeof value !== "string") continue;
    for (const part of value.split(",")) {
      const p = part.trim();
      if (p !== "") each(p);
    }
  }
}

function lastForwardedFor(entry: unknown, out: TextOut): void {
  if (object(request(entry)?.headers)?.["x-forwarded-for"] === undefined) return;
  let last: string | undefined;
  forwardedFor(entry, (p) => (last = p));
  if (last !== undefined) out(last);
}

const DIGITS = /^\d+$/;

/** The port of `10.0.0.5:5696` or `[2001:db8::1]:443`; nothing for a bare address. */
function addressPort(entry: unknown, out: TextOut): void {
  const address = request(entry)?.remote_address;
  if (typeof address !== "string") return;
  const colon = address.lastIndexOf(":");
  if (colon < 0) return;
  const bracketed = address.startsWith("[") && address[colon - 1] === "]";
  if (!bracketed && address.indexOf(":") !== colon) return; // a bare IPv6 address
  const port = address.slice(colon + 1);
  if (DIGITS.test(port)) out(port);
}

function outcome(entry: unknown, out: TextOut): void {
  const error = object(entry)?.error;
  out(error === undefined || error === null || error === "" ? "success" : "error");
}

/** The segment after a KV v2 mount that names an operation on a secret, not the secret. */
const KV2_OPERATIONS = new Set(["data", "metadata", "delete", "undelete", "destroy"]);

function kvPath(entry: unknown, out: TextOut): void {
  const req = request(entry);
  const path = req?.path;
  if (typeof path !== "string" || path === "") return;
  const mountType = req!.mount_type;
  if (typeof mountType === "string" && mountType !== "" && mountType !== "kv") return;
  const mountPoint = req!.mount_point;
  let mountEnd: number; // index of the `/` after the mount
  if (typeof mountPoint === "string" && mountPoint !== "") {
    const mount = mountPoint.endsWith("/") ? mountPoint.slice(0, -1) : mountPoint;
    if (!path.startsWith(mount) || path[mount.length] !== "/") return;
    mountEnd = mount.length;
  } else {
    mountEnd = path.indexOf("/");
    if (mountEnd <= 0) return;
  }
  const opEnd = path.indexOf("/", mountEnd + 1);
  const op = path.slice(mountEnd + 1, opEnd < 0 ? path.length : opEnd);
  if (!KV2_OPERATIONS.has(op)) return;
  let rest = opEnd < 0 ? "" : path.slice(opEnd + 1);
  while (rest.endsWith("/")) rest = rest.slice(0, -1);
  out(rest === "" ? path.slice(0, mountEnd) : `${path.slice(0, mountEnd)}/${rest}`);
}

function rootNamespace(entry: unknown, out: TextOut): void {
  const ns = object(request(entry)?.namespace);
  if (ns?.id === "root" && (ns.path === undefined || ns.path === null || ns.path === "")) {
    out("root");
  }
}

function recordSource(entry: unknown, out: TextOut): void {
  const origin = originOf(entry);
  if (origin !== undefined) out(origin.source);
}

function recordDevice(entry: unknown, out: TextOut): void {
  const device = originOf(entry)?.device;
  if (device !== undefined && device !== "") out(device);
}

const DERIVATIONS: Readonly<Record<Derivation, (entry: unknown, out: TextOut) => void>> = {
  everyHmac,
  lastForwardedFor,
  everyForwardedFor: forwardedFor,
  addressPort,
  outcome,
  kvPath,
  rootNamespace,
  recordSource,
  recordDevice,
};

/** The function that computes `derivation`: call it with the entry and where the texts go. */
export function derivationOf(derivation: Derivation): (entry: unknown, out: TextOut) => void {
  return DERIVATIONS[derivation];
}

/** Calls `out` with each text `derivation` computes from `entry`, in entry order. */
export function deriveValues(derivation: Derivation, entry: unknown, out: TextOut): void {
  DERIVATIONS[derivation](entry, out);
}
