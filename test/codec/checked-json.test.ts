// Metadata values as checked JSON: they round-trip, and a flipped byte, a cut value or a value
// read under another key is a ChecksumError, never a different value.
import { describe, expect, test } from "vitest";
import { decodeCheckedJson, encodeCheckedJson } from "../../src/codec/checked-json.js";
import { ChecksumError } from "../../src/codec/checksum.js";

const key = Buffer.from([0, 0, 0, 12]);
const value = { id: 12, base: 40960, records: 8192, blockStarts: [0, 61, 122], path: "/var/log/é" };

describe("checked JSON", () => {
  test("round-trips a value under its key", () => {
    expect(decodeCheckedJson(encodeCheckedJson(value, key), key)).toEqual(value);
  });

  test("a flipped byte anywhere is a ChecksumError", () => {
    const encoded = encodeCheckedJson(value, key);
    for (let at = 0; at < encoded.length; at++) {
      const damaged = Buffer.from(encoded);
      damaged[at]! ^= 0x04;
      expect(() => decodeCheckedJson(damaged, key), `flip at byte ${at}`).toThrow(ChecksumError);
    }
  });

  test.each([
    ["cut short", (e: Buffer) => [e.subarray(0, e.length - 1), key] as const],
    ["only a checksum", (e: Buffer) => [e.subarray(0, 4), key] as const],
    ["read under another key", (e: Buffer) => [e, Buffer.from([0, 0, 0, 13])] as const],
  ])("a value %s is a ChecksumError", (_name, damage) => {
    const [bytes, under] = damage(encodeCheckedJson(value, key));
    expect(() => decodeCheckedJson(bytes, under)).toThrow(ChecksumError);
  });
});
