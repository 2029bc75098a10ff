// ChunkBuffers recycles the shared memory of standard-size chunks, and only that.
import { expect, test } from "vitest";
import { ChunkBuffers } from "../../src/ingest/chunk-buffers.js";

test("a standard chunk's memory is handed out again once given back; a grown one is not", () => {
  const buffers = new ChunkBuffers(1024);
  const a = buffers.take(1024);
  expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
  expect(a.length).toBe(1024);
  const b = buffers.take(100); // smaller requests still get a whole standard chunk
  expect(b.length).toBe(1024);
  expect(b.buffer).not.toBe(a.buffer);

  buffers.give(a.buffer);
  expect(buffers.take(1024).buffer).toBe(a.buffer);

  const grown = buffers.take(4096); // a chunk grown for a long line
  expect(grown.length).toBe(4096);
  buffers.give(grown.buffer);
  buffers.give(new ArrayBuffer(1024)); // not shared memory: never recycled
  const next = buffers.take(1024);
  expect(next.buffer).not.toBe(grown.buffer);
  expect(next.buffer).toBeInstanceOf(SharedArrayBuffer);
});

test("at most a few idle buffers are kept", () => {
  const buffers = new ChunkBuffers(64);
  const taken = Array.from({ length: 20 }, () => buffers.take(64));
  for (const t of taken) buffers.give(t.buffer);
  const again = new Set(Array.from({ length: 20 }, () => buffers.take(64).buffer));
  const recycled = taken.filter((t) => again.has(t.buffer)).length;
  expect(recycled).toBeGreaterThan(0);
  expect(recycled).toBeLessThan(20);
});
