// Index terms: how a field value becomes the bytes the index sorts and looks up. Pure; shared by
// the ingest workers (which write terms) and the planner (which looks them up), so both agree.
// Terms travel as "binary strings" (latin1, one char per byte): JS compares those in byte order,
// so sorting and range checks need no Buffer allocations on the hot path.
//
// - ip:     16 bytes (ip-key.ts); CIDR = one inclusive range.
// - time:   12 bytes (time-key.ts); time range = one inclusive range.
// - text, hmac, number: an audit HMAC ("hmac-sha256:" + 64 hex) becomes TAG_HMAC + the first HMAC_TERM_BYTES
//           of its digest (two HMACs share 8 bytes with probability 2^-64: the index treats the
//           prefix as the value); any other value TAG_TEXT + its UTF-8 bytes, cut at
//           MAX_TEXT_TERM_BYTES. A cut term is a candidate only: the planner re-checks such
//           matches against the entry.
import { isAuditHmac, HMAC_PREFIX } from "./audit-hmac.js";
import type { FieldKind } from "./field-catalog.js";
import { ipKey, ipKeyText } from "./ip-key.js";
import { instantText, keyInstant, timeKey } from "./time-key.js";

export const TAG_TEXT = "\x00";
export const TAG_HMAC = "\x01";
/** Long values (10 MB entries exist) are cut; 480 bytes keeps every page key well under LMDB's limit. */
export const MAX_TEXT_TERM_BYTES = 480;
/** Digest bytes an HMAC term keeps. */
export const HMAC_TERM_BYTES = 8;

/** A u32 as 4 big-endian bytes of a binary string (terms are built from such words). */
export function wordText(word: number): string {
  return String.fromCharCode(word >>> 24, (word >>> 16) & 255, (word >>> 8) & 255, word & 255);
}

/** The term of an HMAC from the first 8 digest bytes as two big-endian u32 words. */
export function hmacTermFromDigest(hi: number, lo: number): string {
  return TAG_HMAC + wordText(hi) + wordText(lo);
}

function bytesToBinary(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/** The term of a text value; `cut` is true when the value was longer than a term holds. */
export function textTerm(value: string): { term: string; cut: boolean } {
  if (value.length === 76 && isAuditHmac(value)) {
    return {
      term:
        TAG_HMAC + Buffer.from(value.slice(12, 12 + 2 * HMAC_TERM_BYTES), "hex").toString("latin1"),
      cut: false,
    };
  }
  if (value.length <= MAX_TEXT_TERM_BYTES && ASCII.test(value)) {
    return { term: TAG_TEXT + value, cut: false };
  }
  const utf8 = Buffer.from(value, "utf8");
  if (utf8.length <= MAX_TEXT_TERM_BYTES)
    return { term: TAG_TEXT + utf8.toString("latin1"), cut: false };
  return { term: TAG_TEXT + utf8.subarray(0, MAX_TEXT_TERM_BYTES).toString("latin1"), cut: true };
}

/** Whether values of `kind` have text terms (TAG_TEXT or TAG_HMAC), not 16- or 12-byte keys. */
export function hasTextTerms(kind: FieldKind): boolean {
  return kind !== "ip" && kind !== "time";
}

/** The term of a value of a field of `kind`, or undefined when the value cannot be one (a bad IP). */
export function termOf(kind: FieldKind, value: string): string | undefined {
  switch (kind) {
    case "ip": {
      const key = ipKey(value);
      return key && bytesToBinary(key);
    }
    case "time": {
      const key = timeKey(value);
      return key && bytesToBinary(key);
    }
    case "text":
    case "hmac":
    case "number":
      return textTerm(value).term;
  }
}

export function binaryToBytes(term: string): Buffer {
  return Buffer.from(term, "latin1");
}

/** A term back as the text a user would type (for distinct values, regex over the dictionary). */
export function termText(kind: FieldKind, term: string): string {
  const bytes = binaryToBytes(term);
  switch (kind) {
    case "ip":
      return ipKeyText(bytes);
    case "time":
      return instantText(keyInstant(bytes));
    case "text":
    case "hmac":
    case "number":
      // An HMAC term is the digest's start: its text is a prefix of the value's (see isCutTerm).
      if (term[0] === TAG_HMAC) return HMAC_PREFIX + bytes.subarray(1).toString("hex");
      return bytes.subarray(1).toString("utf8");
  }
}

/**
 * True when a term holds only the start of its value (a text at the cut length, or an HMAC), so
 * a test on the term's text cannot decide: the entry must be checked.
 */
export function isCutTerm(term: string): boolean {
  return term[0] === TAG_HMAC || (term.length - 1 >= MAX_TEXT_TERM_BYTES && term[0] === TAG_TEXT);
}
