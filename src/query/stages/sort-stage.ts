// `sort F [desc]`: items ordered by their first value of F: `time` as instants (any offset, to
// the nanosecond), numbers (and numeric strings) numerically, other values as text; items without
// F last in either direction; equal keys keep their order (stable). Must see every item before
// emitting the first.
//
// Memory: a key and a position an item, in columns (no object per item), and the order; a record
// is kept as its id and read again as it is emitted, so a sort of a million records holds tens of
// MB, not their lines (4.16 GB before). Above maxSortItems() items the sort is refused (a
// UsageError) rather than run the process out of memory. `sort F | limit N` (topSortStage) keeps
// only the N first in a bounded heap, with exactly the full sort's output, ties included.
import { parseInstant } from "../../audit/time-key.js";
import { UsageError } from "../../errors.js";
import type { FieldRef } from "../ast.js";
import { fieldValues, valueText } from "../field-values.js";
import type { StageContext } from "../matched-record.js";
import type { JsonValue, StageOutput } from "../stage-output.js";

const NUMERIC = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/;

/**
 * Items a sort holds at most: ~33 bytes each for a time or number key (rank 1, two numbers of
 * 8 + 4 bytes, an 8-byte position, an 8-byte slot in the order), so about 330 MB at the bound,
 * plus the text of text keys; far above what a terminal reads, and well inside Node's heap.
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

function tooMany(item: StageOutput, max: number): UsageError {
  const what = ITEM_WORDS[item.kind] ?? "items";
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
  ) {}

  /** Make room for slots [0, n). */
  reserve(n: number): void {
    if (n <= this.rank.length) return;
    const size = Math.max(n, this.rank.length * 2, 1024);
    const grow = <T extends Uint8Array | Float64Array | Int32Array>(
      old: T,
      make: (n: number) => T,
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

  /** Put `item` (the seq-th to arrive, its first value of F `value`) in slot `slot`. */
  set(slot: number, item: StageOutput, value: JsonValue | undefined, seq: number): void {
    this.seq[slot] = seq;
    if (item.kind === "record") {
      this.id[slot] = item.record.id;
      if (this.items.length > slot) this.items[slot] = undefined;
    } else {
      this.id[slot] = -1;
      this.items[slot] = item;
    }
    this.setKey(slot, value);
  }

  private setKey(slot: number, value: JsonValue | undefined): void {
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
          this.rank[slot] = INSTANT;
          this.num[slot] = t.seconds;
          this.nanos[slot] = t.nanos;
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

  /** < 0 when slot a's item comes first in the output: by key (desc reverses it, but items
   * without a value stay last), then by arrival. */
  compare(a: number, b: number): number {
    const ra = this.rank[a]!;
    const rb = this.rank[b]!;
    let c: number;
    if (ra === NONE || rb === NONE) {
      c = ra - rb;
    } else {
      c = ra - rb;
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

function isTimeField(field: FieldRef): boolean {
  return field.catalog && field.name === "time";
}

export async function* sortStage(
  input: AsyncIterable<StageOutput>,
  field: FieldRef,
  desc: boolean,
  ctx: StageContext,
): AsyncIterable<StageOutput> {
  const max = maxSortItems();
  const slots = new SortSlots(isTimeField(field), desc);
  let n = 0;
  for await (const item of input) {
    if (n === max) throw tooMany(item, max);
    slots.reserve(n + 1);
    slots.set(n, item, fieldValues(item, field)[0], n);
    n++;
  }
  // A plain array: its sort (TimSort) takes a log that is already in time order in one pass.
  const sorted = new Array<number>(n);
  for (let i = 0; i < n; i++) sorted[i] = i;
  sorted.sort((a, b) => slots.compare(a, b));
  for (const slot of sorted) yield slots.item(slot, ctx);
}

/**
 * `sort F [desc] | limit N`: the full sort's first N items, in a heap of at most N slots whose
 * root is the one that would come last; an item that would come after it is dropped at once.
 */
export async function* topSortStage(
  input: AsyncIterable<StageOutput>,
  field: FieldRef,
  desc: boolean,
  limit: number,
  ctx: StageContext,
): AsyncIterable<StageOutput> {
  if (limit <= 0) return;
  const max = maxSortItems();
  const slots = new SortSlots(isTimeField(field), desc);
  // Slots in the heap; heap[0] comes last, and a parent comes after its children.
  const heap: number[] = [];
  const after = (i: number, j: number): boolean => slots.compare(heap[i]!, heap[j]!) > 0;
  const swap = (i: number, j: number): void => {
    const t = heap[i]!;
    heap[i] = heap[j]!;
    heap[j] = t;
  };
  // The one slot not in the heap: each new item goes there, then is kept or dropped.
  let spare = 0;
  let seq = 0;
  for await (const item of input) {
    if (heap.length < limit && heap.length === max) throw tooMany(item, max);
    slots.reserve(Math.max(heap.length, spare) + 1);
    slots.set(spare, item, fieldValues(item, field)[0], seq++);
    if (heap.length < limit) {
      heap.push(spare);
      spare = heap.length;
      for (let i = heap.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (!after(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
      continue;
    }
    if (slots.compare(spare, heap[0]!) > 0) continue;
    const dropped = heap[0]!;
    heap[0] = spare;
    spare = dropped;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let last = i;
      if (l < heap.length && after(l, last)) last = l;
      if (r < heap.length && after(r, last)) last = r;
      if (last === i) break;
      swap(i, last);
      i = last;
    }
  }
  heap.sort((a, b) => slots.compare(a, b));
  for (const slot of heap) yield slots.item(slot, ctx);
}
