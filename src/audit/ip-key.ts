// IP addresses and CIDRs as 16-byte sortable keys (IPv4 as IPv4-mapped IPv6, ::ffff:a.b.c.d), so
// that a CIDR of either family is one contiguous range of keys. Pure; safe in workers.
// Addresses written with a port (`10.0.0.5:5696`, `[2001:db8::1]:443`) key by their address.
import ipaddr from "ipaddr.js";

export const IP_KEY_BYTES = 16;

function v4Into(out: Uint8Array, a: number, b: number, c: number, d: number): Uint8Array {
  out[10] = 0xff;
  out[11] = 0xff;
  out[12] = a;
  out[13] = b;
  out[14] = c;
  out[15] = d;
  return out;
}

// Fast path for dotted quads (the common case on the ingest hot path); undefined when not one.
function parseV4(text: string, out: Uint8Array): Uint8Array | undefined {
  let part = 0;
  let digits = 0;
  let n = 0;
  const parts = [0, 0, 0, 0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      n = n * 10 + (c - 48);
      if (++digits > 3 || n > 255) return undefined;
    } else if (c === 46 && digits > 0 && part < 3) {
      parts[part++] = n;
      n = 0;
      digits = 0;
    } else {
      return undefined;
    }
  }
  if (part !== 3 || digits === 0) return undefined;
  parts[3] = n;
  return v4Into(out, parts[0]!, parts[1]!, parts[2]!, parts[3]!);
}

/** Strip a port or brackets: `1.2.3.4:80` → `1.2.3.4`, `[::1]:443` → `::1`, `fe80::1%eth0` → `fe80::1`. */
export function stripPort(text: string): string {
  let t = text.trim();
  if (t.startsWith("[")) {
    const end = t.indexOf("]");
    t = end > 0 ? t.slice(1, end) : t.slice(1);
  } else {
    const colon = t.indexOf(":");
    if (colon > 0 && colon === t.lastIndexOf(":")) t = t.slice(0, colon); // v4:port
  }
  const zone = t.indexOf("%");
  return zone > 0 ? t.slice(0, zone) : t;
}

/** The 16-byte key of an address (with or without port), or undefined when it is not an IP. */
export function ipKey(text: string): Uint8Array | undefined {
  const out = new Uint8Array(IP_KEY_BYTES);
  const fast = parseV4(text, out);
  if (fast) return fast;
  const bare = stripPort(text);
  const v4 = parseV4(bare, out);
  if (v4) return v4;
  if (!ipaddr.IPv6.isValid(bare)) return undefined;
  const addr = ipaddr.IPv6.parse(bare);
  if (addr.isIPv4MappedAddress()) {
    const [a, b, c, d] = addr.toIPv4Address().octets;
    return v4Into(out, a!, b!, c!, d!);
  }
  out.set(addr.toByteArray());
  return out;
}

/** The address a key stands for, in its usual text form (IPv4 dotted, IPv6 RFC 5952). */
export function ipKeyText(key: Uint8Array): string {
  const isV4 = key.subarray(0, 10).every((b) => b === 0) && key[10] === 0xff && key[11] === 0xff;
  if (isV4) return `${key[12]}.${key[13]}.${key[14]}.${key[15]}`;
  return ipaddr.fromByteArray(Array.from(key)).toString();
}

export interface KeyRange {
  readonly lo: Uint8Array; // inclusive
  readonly hi: Uint8Array; // inclusive
}

/** The inclusive key range of a CIDR (`10.0.0.0/8`, `2001:db8::/32`), or a reason it is not one. */
export function cidrRange(text: string): KeyRange | string {
  if (!ipaddr.isValidCIDR(text)) return `not a CIDR: ${text}`;
  const [addr, bits] = ipaddr.parseCIDR(text);
  const lo = new Uint8Array(IP_KEY_BYTES);
  let prefixBits = bits;
  if (addr.kind() === "ipv4") {
    const [a, b, c, d] = (addr as ipaddr.IPv4).octets;
    v4Into(lo, a!, b!, c!, d!);
    prefixBits = bits + 96;
  } else {
    lo.set((addr as ipaddr.IPv6).toByteArray());
  }
  const hi = new Uint8Array(lo);
  for (let bit = prefixBits; bit < 128; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    lo[byte]! &= ~mask;
    hi[byte]! |= mask;
  }
  return { lo, hi };
}
