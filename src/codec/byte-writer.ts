// A growable byte buffer with varint and u32 writers: the one encoder the codecs share.
// Hot path (ingest workers): no per-write allocation, doubling growth.

export class ByteWriter {
  private buf: Uint8Array;
  length = 0;

  constructor(initialBytes = 1 << 16) {
    this.buf = new Uint8Array(initialBytes);
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  varint(value: number): void {
    this.ensure(5);
    let v = value >>> 0;
    while (v >= 0x80) {
      this.buf[this.length++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.length++] = v;
  }

  u32(value: number): void {
    this.ensure(4);
    const b = this.buf;
    b[this.length++] = value >>> 24;
    b[this.length++] = (value >>> 16) & 0xff;
    b[this.length++] = (value >>> 8) & 0xff;
    b[this.length++] = value & 0xff;
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.length);
    this.length += src.length;
  }

  /** A binary string (latin1: one char per byte). */
  binary(src: string): void {
    this.ensure(src.length);
    const b = this.buf;
    for (let i = 0; i < src.length; i++) b[this.length++] = src.charCodeAt(i);
  }

  zeros(n: number): number {
    this.ensure(n);
    const at = this.length;
    this.buf.fill(0, at, at + n);
    this.length += n;
    return at;
  }

  /** The written bytes (a view; copy before writing more if you keep it). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  raw(): Uint8Array {
    return this.buf;
  }
}

/** Write `value` as a big-endian u32 at b[at..at+4). */
export function writeU32(b: Uint8Array, at: number, value: number): void {
  b[at] = value >>> 24;
  b[at + 1] = (value >>> 16) & 0xff;
  b[at + 2] = (value >>> 8) & 0xff;
  b[at + 3] = value & 0xff;
}

export function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}
