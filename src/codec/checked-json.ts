// The index's metadata values (a segment's or a file's record, the id counters, a bad line's
// reason) as JSON with a CRC-32, so a flipped byte in one is an error, not a wrong segment base
// or a garbled path: u32 crc, then the JSON in UTF-8. The crc covers the key's bytes and then the
// JSON, so a value found under another key (a damaged key) fails too. Pure.
// Cost: a JSON.stringify/parse and a CRC of a few hundred bytes a value; metadata is read once
// per open index, never per record.
import { readU32, writeU32 } from "./byte-writer.js";
import { checksum, ChecksumError, CHECKSUM_BYTES } from "./checksum.js";

export function encodeCheckedJson(value: unknown, key: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(value), "utf8");
  const out = Buffer.allocUnsafe(CHECKSUM_BYTES + json.length);
  writeU32(out, 0, checksum(json, checksum(key)));
  json.copy(out, CHECKSUM_BYTES);
  return out;
}

/** The value encodeCheckedJson(value, key) stored; throws ChecksumError when it is damaged. */
export function decodeCheckedJson(bytes: Uint8Array, key: Uint8Array): unknown {
  if (bytes.length <= CHECKSUM_BYTES) throw new ChecksumError("is too short to be a record");
  const json = bytes.subarray(CHECKSUM_BYTES);
  if (readU32(bytes, 0) !== checksum(json, checksum(key))) {
    throw new ChecksumError("fails its checksum");
  }
  try {
    return JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString("utf8"));
  } catch {
    throw new ChecksumError("is not valid JSON");
  }
}
