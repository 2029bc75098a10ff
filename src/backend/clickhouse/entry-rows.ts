// Records → ClickHouse rows in RowBinary (the exact bytes of every value: no escaping, no text
// parsing on the server), in the column order of clickhouse-schema.ts. Runs in the parse workers
// (row-worker.ts): pure, no I/O. Field values come from the same extractor the local index uses
// (audit/extract-terms.ts), so a field means the same on both backends; each becomes its kind's
// value (kindValue), an Array column keeps the distinct values in order of first appearance.
// seq and ord are known only when the chunk commits: each row starts with 16 zero bytes that
// patchRowHeads() fills in on the main thread.
import { kindValue } from "../../audit/audit-entry.js";
import { TermExtractor } from "../../audit/extract-terms.js";
import { FIELDS } from "../../audit/field-catalog.js";
import { recordJsonText } from "../../audit/framing/record-json.js";
import { ipKey } from "../../audit/ip-key.js";
import { parseInstant } from "../../audit/time-key.js";
import type { RowContext } from "../../ingest/worker-protocol.js";
import { ENTRY_COLUMNS, type EntryColumn } from "./clickhouse-schema.js";

const NS_PER_SECOND = 1_000_000_000n;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const SECONDS_PER_DAY = 86_400;
/** Date is days since 1970 as UInt16: 1970-01-01 … 2149-06-06. */
const MAX_DAY = 0xffff;
const ROW_HEAD_BYTES = 16;

/** A growable little-endian buffer for RowBinary. */
export class RowBinaryWriter {
  private buf = Buffer.allocUnsafe(1 << 20);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  varint(value: number): void {
    this.ensure(10);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.length++] = v;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.length = this.buf.writeUInt16LE(v, this.length);
  }

  u32(v: number): void {
    this.ensure(4);
    this.length = this.buf.writeUInt32LE(v, this.length);
  }

  i64(v: bigint): void {
    this.ensure(8);
    this.length = this.buf.writeBigInt64LE(v, this.length);
  }

  f64(v: number): void {
    this.ensure(8);
    this.length = this.buf.writeDoubleLE(v, this.length);
  }

  zeros(n: number): void {
    this.ensure(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }

  /** A String: varint length, then the UTF-8 bytes. */
  string(s: string): void {
    const n = Buffer.byteLength(s, "utf8");
    this.varint(n);
    this.ensure(n);
    this.length += this.buf.write(s, this.length, "utf8");
  }

  /** A String of raw bytes. */
  bytesString(b: Uint8Array): void {
    this.varint(b.length);
    this.raw(b);
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

const extractor = new TermExtractor();
const TIME_FIELD = FIELDS.findIndex((f) => f.kind === "time");
/** Each catalog field's column, or undefined for source and device (written from the file). */
const COLUMN_OF_FIELD: readonly (EntryColumn | undefined)[] = FIELDS.map((f) => {
  const column = ENTRY_COLUMNS.find((c) => c.field === f)!;
  return column.name === "source" || column.name === "device" ? undefined : column;
});

/** The time's nanoseconds since 1970, or undefined when it does not parse or leaves Int64. */
export function timeNanos(text: string): bigint | undefined {
  const t = parseInstant(text);
  if (t === undefined) return undefined;
  const ns = BigInt(t.seconds) * NS_PER_SECOND + BigInt(t.nanos);
  return ns > INT64_MAX || ns < INT64_MIN ? undefined : ns;
}

/**
 * Encodes rows. `texts[i]` collects field FIELDS[i]'s texts of the current entry; reused across
 * entries (cleared, not reallocated).
 */
export class EntryRowEncoder {
  readonly out = new RowBinaryWriter();
  /** Where each row starts in `out`. */
  readonly rowStarts: number[] = [];
  private readonly texts: string[][] = FIELDS.map(() => []);
  private readonly sink = (field: number, text: string): void => {
    this.texts[field]!.push(text);
  };

  /** Append the row of one stored record (as the local index stores it: framed lines as written). */
  add(line: Buffer, ctx: RowContext): void {
    for (const t of this.texts) t.length = 0;
    const entry: unknown = JSON.parse(recordJsonText(line));
    extractor.extract(entry, this.sink);
    const w = this.out;
    this.rowStarts.push(w.length);
    w.zeros(ROW_HEAD_BYTES); // seq, ord
    w.u32(ctx.fileId);
    let time: bigint | undefined;
    for (const text of this.texts[TIME_FIELD]!) {
      if ((time = timeNanos(text)) !== undefined) break;
    }
    const day = time === undefined ? 0 : Number(time / NS_PER_SECOND) / SECONDS_PER_DAY;
    w.u16(Math.min(MAX_DAY, Math.max(0, Math.floor(day))));
    w.string(ctx.source);
    w.string(ctx.device);
    w.bytesString(line);
    for (let f = 0; f < FIELDS.length; f++) {
      const column = COLUMN_OF_FIELD[f];
      if (column !== undefined) this.writeField(column, this.texts[f]!, time);
    }
  }

  private writeField(
    column: EntryColumn,
    texts: readonly string[],
    time: bigint | undefined,
  ): void {
    const w = this.out;
    const kind = column.field!.kind;
    switch (column.type) {
      case "Nullable(Int64)":
        if (time === undefined) w.u8(1);
        else {
          w.u8(0);
          w.i64(time);
        }
        return;
      case "String": {
        let first = "";
        for (const t of texts) {
          const v = kindValue(kind, t);
          if (v !== undefined) {
            first = v;
            break;
          }
        }
        w.string(first);
        return;
      }
      case "Array(String)": {
        const values = new Set<string>();
        for (const t of texts) {
          const v = kindValue(kind, t);
          if (v !== undefined) values.add(v);
        }
        w.varint(values.size);
        for (const v of values) w.string(v);
        return;
      }
      case "Array(Float64)": {
        const values = new Set<number>();
        for (const t of texts) {
          const v = kindValue(kind, t);
          if (v !== undefined) values.add(Number(v));
        }
        w.varint(values.size);
        for (const v of values) w.f64(v);
        return;
      }
      case "Array(FixedString(16))": {
        const keys = new Map<string, Uint8Array>();
        for (const t of texts) {
          const key = ipKey(t);
          if (key !== undefined) keys.set(Buffer.from(key).toString("latin1"), key);
        }
        w.varint(keys.size);
        for (const key of keys.values()) w.raw(key);
        return;
      }
      default:
        throw new Error(`no encoder for column ${column.name} of type ${column.type}`);
    }
  }
}

/** Fill in each row's seq (from firstSeq) and ord (from firstOrd), little-endian UInt64s. */
export function patchRowHeads(
  rows: Buffer,
  rowStarts: Uint32Array | readonly number[],
  firstSeq: number,
  firstOrd: number,
): void {
  for (let i = 0; i < rowStarts.length; i++) {
    const at = rowStarts[i]!;
    rows.writeBigUInt64LE(BigInt(firstSeq + i), at);
    rows.writeBigUInt64LE(BigInt(firstOrd + i), at + 8);
  }
}
