// The rows of a ClickHouse `FORMAT RowBinary` answer, decoded as the bytes stream in: the original
// lines come back byte for byte (a String is a length and its bytes: no escaping to undo), and the
// first row is out before the last has arrived. Only the types the backend selects are known.
// Cost: one pass over the bytes; a row split across two network chunks is decoded once both are in.

export type RowType = "UInt8" | "UInt64" | "Float64" | "String" | "FixedString(16)";
export type RowValue = number | Buffer;

class Incomplete extends Error {}
const INCOMPLETE = new Incomplete("row continues in the next chunk");

class Cursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
  ) {}
  take(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw INCOMPLETE;
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  varint(): number {
    let n = 0;
    let shift = 1;
    for (;;) {
      const b = this.take(1)[0]!;
      n += (b & 0x7f) * shift;
      if (b < 0x80) return n;
      shift *= 128;
    }
  }
}

function readValue(c: Cursor, type: RowType): RowValue {
  switch (type) {
    case "UInt8":
      return c.take(1)[0]!;
    case "UInt64":
      return Number(c.take(8).readBigUInt64LE(0));
    case "Float64":
      return c.take(8).readDoubleLE(0);
    case "String":
      return Buffer.from(c.take(c.varint()));
    case "FixedString(16)":
      return Buffer.from(c.take(16));
  }
}

/** Each row of `types` (in order) as an array of values: numbers, and Buffers for strings. */
export async function* rowBinaryRows(
  chunks: AsyncIterable<Buffer>,
  types: readonly RowType[],
): AsyncGenerator<RowValue[]> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    const buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
    const c = new Cursor(buf, 0);
    const rows: RowValue[][] = [];
    for (;;) {
      const start = c.pos;
      if (start === buf.length) break;
      try {
        rows.push(types.map((t) => readValue(c, t)));
      } catch (err) {
        if (err !== INCOMPLETE) throw err;
        c.pos = start;
        break;
      }
    }
    rest = buf.subarray(c.pos);
    yield* rows;
  }
  if (rest.length > 0)
    throw new Error(`ClickHouse answer ends inside a row (${rest.length} bytes)`);
}
