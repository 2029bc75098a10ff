// `sort F [desc]`: items ordered by their first value of F: `time` as instants (any offset, to
// the nanosecond), numbers (and numeric strings) numerically, other values as text; items without
// F last in either direction; equal keys keep their order (stable). Must see every item before
// emitting the first.
//
// Memory: a key and a position an item, in columns (no object per item), and the order; a record
// is kept as its id and read again as it is emitted, so a sort of a million records holds tens of
// MB, not their lines (4.16 GB before). Above maxSortItems() items the sort is refused (a
// UsageError) rather than run the process out of memory. `sort F | limit N` keeps only the N
// first in a bounded heap, with exactly the full sort's output, ties included (SortCollector).
import { parseInstant, type Instant } from "../../audit/time-key.js";
import { UsageError } from "../../errors.js";
import type { FieldRef } from "../ast.js";
import { fieldValues, valueText } from "../field-values.js";
import type { StageContext } from "../matched-record.js";
import type { JsonValue, StageOutput } from "../stage-output.js";

const NUMERIC = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/;

/**
 * Items a sort holds at most: ~37 bytes each for a time or number key (a 1-byte rank, 8 + 4 bytes
 * of number and nanoseconds, 8-byte arrival number and record id, an 8-byte slot in the order),
 * so about 370 MB at the bound, plus the text of text keys: a 10 GiB log's worth of records,
 * inside the 1 GiB a query should stay under.
 */
export const MAX_SORT_ITEMS = 10_000_000;

/** Lowers MAX_SORT_ITEMS, for tests that reach the bound with small data. */
export const SORT_MAX_ITEMS_ENV = "BREAKGLASS_SORT_MAX_ITEMS";

/** The bound in force: MAX_SORT_ITEMS, or the test override when it is a positive integer. */
export function maxSortItems(): number {
  const n = Number(process.env[SORT_MAX_ITEMS_ENV]);
  return Number.isInteger(n) && n > 0 ? n : MAX_SORT_ITEMS;
}

const ITEM_WORDS: Partial<Record<StageOutput["kind"], string>> = {
  record: "records",
  row: "rows",
  value: "values",
  group: "groups",
};

function tooMany(kind: StageOutput["kind"], max: number): UsageError {
  const what = ITEM_WORDS[kind] ?? "items";
  return new UsageError(
    `\`sort\` stopped at ${max.toLocaleString("en-US")} ${what}: sorting more would hold too ` +
      "much in memory",
    "add `| limit N` after `sort` (it then keeps only N), or narrow the query",
  );
}

// Key ranks, in ascending order: numbers, instants, text, no value.
const NUMBER = 0;
const INSTANT = 1;
const TEXT = 2;
const NONE = 3;

/**
 * Sort keys, their items and their arrival order, one slot each, in columns. A record is kept as
 * its id (read again through the context when emitted); other items (rows, values, groups) whole.
 */
class SortSlots {
  private rank = new Uint8Array(0);
  /** NUMBER: the number; INSTANT: its seconds. */
  private num = new Float64Array(0);
  /** INSTANT: its nanoseconds. */
  private nanos = new Int32Array(0);
  private readonly text: string[] = [];
  private seq = new Float64Array(0);
  /** A record's id, or -1 for another item (in `items`). */
  private id = new Float64Array(0);
  private readonly items: (StageOutput | undefined)[] = [];

  constructor(
    private readonly isTime: boolean,
    private readonly desc: boolean,
    /** Slots never needed beyond this many (the collector's bound). */
    private readonly capacity: number,
  ) {}

  /** Make room for slots [0, n). */
  reserve(n: number): void {
    if (n <= this.rank.length) return;
    const size = Math.max(n, Math.min(this.rank.length * 2, this.capacity), 1024);
    const grow = <T extends Uint8Array | Float64Array | Int32Array>(
      old: T,
      make: (k: number) => T,
    ): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.rank = grow(this.rank, (k) => new Uint8Array(k));
    this.num = grow(this.num, (k) => new Float64Array(k));
    this.nanos = grow(this.nanos, (k) => new Int32Array(k));
    this.seq = grow(this.seq, (k) => new Float64Array(k));
    this.id = grow(this.id, (k) => new Float64Array(k));
  }

  /** Slot `slot` holds `item`, the seq-th to arrive. */
  setItem(slot: number, item: StageOutput, seq: number): void {
    if (item.kind === "record") {
      this.setRecord(slot, item.record.id, seq);
      return;
    }
    this.seq[slot] = seq;
    this.id[slot] = -1;
    this.items[slot] = item;
  }

  /** Slot `slot` holds the record `id`, the seq-th to arrive. */
  setRecord(slot: number, id: number, seq: number): void {
    this.seq[slot] = seq;
    this.id[slot] = id;
    if (this.items.length > slot) this.items[slot] = undefined;
  }

  /** The key of slot `slot`: from the item's first value of F. */
  setValue(slot: number, value: JsonValue | undefined): void {
    if (value === undefined || value === null) {
      this.rank[slot] = NONE;
      return;
    }
    if (typeof value === "number") {
      this.rank[slot] = NUMBER;
      this.num[slot] = value;
      return;
    }
    if (typeof value === "string") {
      if (this.isTime) {
        const t = parseInstant(value);
        if (t) {
          this.setInstant(slot, t);
          return;
        }
      }
      if (NUMERIC.test(value)) {
        this.rank[slot] = NUMBER;
        this.num[slot] = Number(value);
        return;
      }
    }
    this.rank[slot] = TEXT;
    this.text[slot] = typeof value === "string" ? value : valueText(value);
  }

  /** The key of slot `slot`: an instant (`time` read from its term), or none. */
  setInstant(slot: number, t: Instant | undefined): void {
    if (!t) {
      this.rank[slot] = NONE;
      return;
    }
    this.rank[slot] = INSTANT;
    this.num[slot] = t.seconds;
    this.nanos[slot] = t.nanos;
  }

  /** < 0 when slot a's item comes first in the output: by key (desc reverses it, but items
   * without a value stay last), then by arrival. */
  compare(a: number, b: number): number {
    const ra = this.rank[a]!;
    const rb = this.rank[b]!;
    let c = ra - rb;
    if (ra !== NONE && rb !== NONE) {
      if (c === 0) {
        if (ra === TEXT) c = order(this.text[a]!, this.text[b]!);
        else {
          c = order(this.num[a]!, this.num[b]!);
          if (c === 0 && ra === INSTANT) c = this.nanos[a]! - this.nanos[b]!;
        }
      }
      if (this.desc) c = -c;
    }
    return c || this.seq[a]! - this.seq[b]!;
  }

  /** The item in a slot (a record read again by id). */
  item(slot: number, ctx: StageContext): StageOutput {
    const id = this.id[slot]!;
    return id >= 0 ? { kind: "record", record: ctx.record(id) } : this.items[slot]!;
  }
}

function order<T extends number | string>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Collects the items of a sort: all of them (limit undefined), or only the first `limit` in a
 * heap whose root is the one that would come last, so an item that comes after it is dropped at
 * once. Either way at most maxSortItems() are held. Items arrive with their arrival number (`seq`:
 * ties keep that order), and emit() gives them sorted.
 */
export class SortCollector {
  private readonly slots: SortSlots;
  private readonly max = maxSortItems();
  /** Full sort: slots [0, count) are filled. */
  private count = 0;
  /** Limited: the slots in the heap; heap[0] comes last, and a parent after its children. */
  private readonly heap: number[] = [];
  /** Limited: the one slot not in the heap, where each new item goes to be kept or dropped. */
  private spare = 0;

  constructor(
    isTime: boolean,
    desc: boolean,
    private readonly limit: number | undefined,
  ) {
    // One spare slot beyond the heap's.
    this.slots = new SortSlots(isTime, desc, Math.min(this.max, limit ?? Infinity) + 1);
  }

  /** Whether the collector keeps nothing (`limit 0`). */
  get keepsNothing(): boolean {
    return this.limit !== undefined && this.limit <= 0;
  }

  /** An item and its first value of F. */
  add(item: StageOutput, value: JsonValue | undefined, seq: number): void {
    const slot = this.open(item.kind);
    this.slots.setItem(slot, item, seq);
    this.slots.setValue(slot, value);
    this.close(slot);
  }

  /** A record by id with its `time` as an instant (from the time dictionary), or none; records
   * come in any order, and ties keep the order of their ids. */
  addRecordAt(id: number, t: Instant | undefined): void {
    const slot = this.open("record");
    this.slots.setRecord(slot, id, id);
    this.slots.setInstant(slot, t);
    this.close(slot);
  }

  /** The slot for the next item (throws above the bound). */
  private open(kind: StageOutput["kind"]): number {
    const held = this.limit === undefined ? this.count : this.heap.length;
    if (held === this.max && (this.limit === undefined || held < this.limit)) {
      throw tooMany(kind, this.max);
    }
    const slot = this.limit === undefined ? this.count : this.spare;
    this.slots.reserve(Math.max(slot, this.heap.length) + 1);
    return slot;
  }

  private close(slot: number): void {
    if (this.limit === undefined) {
      this.count++;
      return;
    }
    const heap = this.heap;
    if (heap.length < this.limit) {
      heap.push(slot);
      this.spare = heap.length;
      for (let i = heap.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (!this.after(i, parent)) break;
        this.swap(i, parent);
        i = parent;
      }
      return;
    }
    if (this.slots.compare(slot, heap[0]!) > 0) return;
    this.spare = heap[0]!;
    heap[0] = slot;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let last = i;
      if (l < heap.length && this.after(l, last)) last = l;
      if (r < heap.length && this.after(r, last)) last = r;
      if (last === i) break;
      this.swap(i, last);
      i = last;
    }
  }

  /** Whether heap[i]'s item comes after heap[j]'s. */
  private after(i: number, j: number): boolean {
    return this.slots.compare(this.heap[i]!, this.heap[j]!) > 0;
  }

  private swap(i: number, j: number): void {
    const t = this.heap[i]!;
    this.heap[i] = this.heap[j]!;
    this.heap[j] = t;
  }

  /** The items in sorted order (records read back through the context as they go). */
  *emit(ctx: StageContext): Generator<StageOutput> {
    let sorted: number[];
    if (this.limit === undefined) {
      // A plain array: its sort (TimSort) takes a log already in time order in one pass.
      sorted = new Array<number>(this.count);
      for (let i = 0; i < this.count; i++) sorted[i] = i;
    } else {
      sorted = this.heap.slice();
    }
    sorted.sort((a, b) => this.slots.compare(a, b));
    for (const slot of sorted) yield this.slots.item(slot, ctx);
  }
}

/** Whether `sort F` compares instants (`time`). */
export function isTimeField(field: FieldRef): boolean {
  return field.catalog && field.name === "time";
}

/** `sort F [desc]`, and with `limit` (`sort F | limit N`) only its first N. */
export async function* sortStage(
  input: AsyncIterable<StageOutput>,
  field: FieldRef,
  desc: boolean,
  ctx: StageContext,
  limit?: number,
): AsyncIterable<StageOutput> {
  const collector = new SortCollector(isTimeField(field), desc, limit);
  if (collector.keepsNothing) return;
  let seq = 0;
  for await (const item of input) collector.add(item, fieldValues(item, field)[0], seq++);
  yield* collector.emit(ctx);
}
