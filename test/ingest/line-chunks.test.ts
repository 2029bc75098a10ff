// The chunker on content with lines of every length around the limit and the chunk size, fed
// in random pieces (the gzip path) and read from a file (the plain path). Checked against a plain
// split at "\n": the pieces tile the content; a line within the limit is never cut; a line past
// the limit that does not fit in a chunk comes out as a LongLine of its exact length; and no
// buffer is ever larger than a chunk or the limit + 1, however long a line is.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { mulberry32 } from "../../src/demo/seeded-random.js";
import { ChunkBuffers } from "../../src/ingest/chunk-buffers.js";
import {
  lineChunks,
  plainFileLineChunks,
  type ContentPiece,
} from "../../src/ingest/line-chunks.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-line-chunks-");

/** Lines of random lengths, some far past `maxLineBytes`; the last one maybe without newline. */
function content(seed: number, maxLineBytes: number, terminated: boolean): Buffer {
  const random = mulberry32(seed);
  const lengths = [0, maxLineBytes, maxLineBytes + 1, 7 * maxLineBytes];
  for (let i = 0; i < 300; i++) {
    const r = random();
    lengths.push(
      r < 0.8
        ? Math.floor(random() * 200)
        : r < 0.95
          ? Math.floor(random() * 2 * maxLineBytes)
          : Math.floor(random() * 20 * maxLineBytes),
    );
  }
  lengths.push(3 * maxLineBytes); // a long last line (without its newline when unterminated)
  const lines = lengths.map((n, i) => Buffer.alloc(n, 97 + (i % 26)));
  const text = Buffer.concat(lines.flatMap((l) => [l, Buffer.from("\n")]));
  return terminated ? text : text.subarray(0, text.length - 1);
}

interface Line {
  readonly start: number;
  readonly bytes: number;
}

/** The lines of `text` as a plain split sees them. */
function splitLines(text: Buffer): Line[] {
  const out: Line[] = [];
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf(10, start);
    if (nl < 0) nl = text.length;
    out.push({ start, bytes: nl - start });
    start = nl + 1;
  }
  return out;
}

/** Buffers that remember the largest one handed out. */
function watchedBuffers(chunkBytes: number): { buffers: ChunkBuffers; largest: () => number } {
  const buffers = new ChunkBuffers(chunkBytes);
  let largest = 0;
  const take = buffers.take.bind(buffers);
  buffers.take = (size: number): Buffer => {
    const b = take(size);
    largest = Math.max(largest, b.length);
    return b;
  };
  return { buffers, largest: () => largest };
}

async function* inPieces(text: Buffer, seed: number): AsyncGenerator<Buffer> {
  const random = mulberry32(seed);
  for (let off = 0; off < text.length;) {
    const n = 1 + Math.floor(random() * 3000);
    yield text.subarray(off, off + n);
    off += n;
  }
}

interface Seen {
  readonly start: number;
  readonly end: number;
  readonly kind: ContentPiece["kind"];
  readonly lineBytes: number | undefined;
  readonly endsWithNewline: boolean;
}

async function collect(pieces: AsyncIterable<ContentPiece>, text: Buffer): Promise<Seen[]> {
  const out: Seen[] = [];
  for await (const p of pieces) {
    if (p.kind === "lines") {
      // The chunk holds exactly the content at its offsets (read now: the buffer is its own).
      const bytes = Buffer.from(p.buffer).subarray(0, p.byteLength);
      expect(bytes.equals(text.subarray(p.startByte, p.startByte + p.byteLength))).toBe(true);
    }
    out.push({
      start: p.startByte,
      end: p.startByte + p.byteLength,
      kind: p.kind,
      lineBytes: p.kind === "long" ? p.lineBytes : undefined,
      endsWithNewline: p.endsWithNewline,
    });
  }
  return out;
}

const shapes = [
  { name: "chunks larger than the limit", chunkBytes: 4096, maxLineBytes: 1000 },
  { name: "chunks smaller than the limit", chunkBytes: 512, maxLineBytes: 1000 },
];

describe.each(shapes)("lineChunks and plainFileLineChunks, $name", (shape) => {
  const { chunkBytes, maxLineBytes } = shape;

  test.each([
    { source: "stream", terminated: true, seed: 1 },
    { source: "stream", terminated: false, seed: 2 },
    { source: "file", terminated: true, seed: 3 },
    { source: "file", terminated: false, seed: 4 },
  ])(
    "$source, last line terminated: $terminated: pieces tile the content, long lines come out whole and alone",
    async ({ source, terminated, seed }) => {
      const text = content(seed, maxLineBytes, terminated);
      const { buffers, largest } = watchedBuffers(chunkBytes);
      let pieces: AsyncIterable<ContentPiece>;
      if (source === "stream") {
        pieces = lineChunks(inPieces(text, seed), 0, buffers, maxLineBytes);
      } else {
        const file = path.join(tempDir(), "audit.log");
        writeFileSync(file, text);
        pieces = plainFileLineChunks(file, 0, buffers, maxLineBytes);
      }
      const seen = await collect(pieces, text);

      // Contiguous from the first byte to the last; only the last piece may lack a newline.
      expect(seen[0]!.start).toBe(0);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!.start).toBe(seen[i - 1]!.end);
      expect(seen.at(-1)!.end).toBe(text.length);
      expect(seen.slice(0, -1).every((s) => s.endsWithNewline)).toBe(true);
      expect(seen.at(-1)!.endsWithNewline).toBe(terminated);

      const lines = splitLines(text);
      const pieceAt = (offset: number): Seen =>
        seen.find((s) => s.start <= offset && offset < s.end)!;
      let longs = 0;
      for (const line of lines) {
        const piece = pieceAt(line.start);
        if (piece.kind === "long") {
          // A LongLine is exactly one line past the limit.
          expect(line.bytes).toBeGreaterThan(maxLineBytes);
          expect(piece.start).toBe(line.start);
          expect(piece.lineBytes).toBe(line.bytes);
          longs++;
        } else {
          // A line in a chunk is whole there (the worker judges its length).
          expect(line.start + line.bytes).toBeLessThanOrEqual(piece.end);
        }
      }
      expect(seen.filter((s) => s.kind === "long")).toHaveLength(longs);
      // Lines too long for any buffer were skipped, not held.
      expect(longs).toBeGreaterThan(0);
      expect(largest()).toBeLessThanOrEqual(Math.max(chunkBytes, maxLineBytes + 1));
    },
  );
});

test("a long line's bytes are skipped from where a resumed read starts", async () => {
  const head = Buffer.from("x".repeat(100) + "\n");
  const text = Buffer.concat([head, Buffer.alloc(5000, 98), Buffer.from("\nok\n")]);
  const file = path.join(tempDir(), "audit.log");
  writeFileSync(file, text);
  const seen = await collect(
    plainFileLineChunks(file, head.length, new ChunkBuffers(256), 1000),
    text,
  );
  expect(seen).toEqual([
    { start: 101, end: 5102, kind: "long", lineBytes: 5000, endsWithNewline: true },
    { start: 5102, end: 5105, kind: "lines", lineBytes: undefined, endsWithNewline: true },
  ]);
});
