// Plan → matching records, in record-id order, segment by segment, so the first result is out
// before the last segment is read. Within a segment every node yields a bitset over its records:
// index nodes OR posting lists in; `and` runs its children cheapest first, each on the survivors
// of the one before (so a filter parses only the records its siblings left); `not` complements.
// A filter over many records (a regex or dotted path with nothing narrowing it) runs in the scan
// workers, several segments at once; results still come out in id order.
import { recordEntry, recordJson } from "../audit/framing/record-json.js";
import { isCutTerm, termText } from "../audit/index-term.js";
import type { AuditEntry } from "../audit/audit-entry.js";
import { withOrigin, type RecordOrigin } from "../audit/record-origin.js";
import { newBitset, type Bitset } from "../codec/term-pages.js";
import type { SegmentMeta } from "../store/format.js";
import type { IndexReader } from "../store/index-reader.js";
import { isFieldCurrent } from "../store/segment-catalog.js";
import { assertNever } from "./ast.js";
import type { MatchedRecord } from "./matched-record.js";
import type { FilterNode, PlanNode } from "./plan.js";
import type { EntryTest } from "./entry-predicate.js";
import { scanPool } from "./scan-pool.js";
import type { ScanTask } from "./scan-protocol.js";

/** Records a filter must test before the scan goes to the workers (below: the main thread). */
const SCAN_IN_WORKERS_MIN = 8192;
/** Segments evaluated at once: keeps every scan worker busy while results stream in order. */
const SEGMENTS_AHEAD = 4;

/** Per-node counts gathered while executing, for `--explain`. */
export class NodeStats {
  readonly matched = new Map<PlanNode, number>();
  readonly parsed = new Map<PlanNode, number>();
  /** `count by`, `top`, `distinct`, `leases`, `timeline`: segments answered from the term
   * dictionary, and from their records (dictionary-groups.ts, lease-columns.ts). */
  readonly groupSegments = { dictionary: 0, records: 0 };
  /** `leases`: segments answered from their lease column (lease-columns.ts). */
  leaseColumnSegments = 0;
  /** Segments whose postings could not answer for a field (store/segment-catalog.ts): their
   * records were scanned for it instead, by field name. */
  readonly staleScans = new Map<string, Set<number>>();
  addStaleScan(field: string, segment: number): void {
    let ids = this.staleScans.get(field);
    if (!ids) this.staleScans.set(field, (ids = new Set()));
    ids.add(segment);
  }
  add(map: Map<PlanNode, number>, node: PlanNode, n: number): void {
    map.set(node, (map.get(node) ?? 0) + n);
  }
}

export function popcount(bits: Bitset): number {
  let n = 0;
  for (let i = 0; i < bits.length; i++) {
    let v = bits[i]!;
    v -= (v >>> 1) & 0x55555555;
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    n += (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  return n;
}

function fullBitset(records: number): Bitset {
  const bits = newBitset(records);
  bits.fill(0xffffffff);
  const tail = records & 31;
  if (tail) bits[bits.length - 1] = (1 << tail) - 1;
  if (records === 0) bits[0] = 0;
  return bits;
}

function andInto(a: Bitset, b: Bitset): void {
  for (let i = 0; i < a.length; i++) a[i]! &= b[i]!;
}

function isEmpty(bits: Bitset): boolean {
  for (let i = 0; i < bits.length; i++) if (bits[i]) return false;
  return true;
}

/** Calls fn for each set bit, ascending. */
export function forEachBit(bits: Bitset, fn: (local: number) => void): void {
  for (let w = 0; w < bits.length; w++) {
    let word = bits[w]!;
    while (word !== 0) {
      const low = word & -word;
      fn(w * 32 + 31 - Math.clz32(low));
      word ^= low;
    }
  }
}

/** Rough cost order for `and` in a segment: exact lookups first, scans of entries last (an
 * index node the segment's postings cannot answer is a scan there). */
function cost(node: PlanNode, segment: SegmentMeta): number {
  switch (node.kind) {
    case "terms":
      return isFieldCurrent(segment, node.field) ? 1 : 10;
    case "range":
      return isFieldCurrent(segment, node.field) ? 2 : 10;
    case "dict":
      if (!isFieldCurrent(segment, node.field)) return 10;
      // HMAC and time dictionaries are the largest (nearly one term per record).
      return node.field.kind === "hmac" || node.field.kind === "time" ? 4 : 3;
    case "all":
      return 0;
    case "and":
      return Math.min(...node.children.map((c) => cost(c, segment)));
    case "or":
      return Math.max(...node.children.map((c) => cost(c, segment)));
    case "not":
      return cost(node.child, segment) + 0.5;
    case "filter":
      return 10;
  }
}

class SegmentRun {
  private readonly entries = new Map<number, AuditEntry>();

  constructor(
    private readonly reader: IndexReader,
    readonly segment: SegmentMeta,
    private readonly stats: NodeStats | undefined,
  ) {}

  entry(local: number): AuditEntry {
    let e = this.entries.get(local);
    if (!e) {
      e = withOrigin(
        recordEntry<AuditEntry>(this.reader.lineInSegment(this.segment, local)),
        this.reader.originOf(this.segment),
      );
      this.entries.set(local, e);
    }
    return e;
  }

  /** A filter node's scan: in the workers when it is large. */
  private async scan(node: FilterNode, candidates: Bitset | undefined): Promise<Bitset> {
    const records = this.segment.records;
    const todo = candidates ? popcount(candidates) : records;
    if (todo < SCAN_IN_WORKERS_MIN) {
      return this.filterBits(node, candidates ?? fullBitset(records), node.test, node.needle);
    }
    const { buffer, offsets } = this.reader.segmentBlocks(this.segment);
    const task: ScanTask = {
      blocks: buffer,
      offsets,
      blockStarts: this.segment.blockStarts,
      records,
      candidates: candidates ? candidates.slice().buffer : undefined,
      expr: node.expr,
      query: node.query,
      needle: node.needle?.toString("utf8"),
      origin: this.reader.originOf(this.segment),
    };
    const transferList = task.candidates ? [buffer, task.candidates] : [buffer];
    const result = await (await scanPool()).run(task, { transferList });
    if (!(result instanceof ArrayBuffer)) {
      throw this.reader.damagedBlock(this.segment, result.damagedBlock, result.reason);
    }
    const out = new Uint32Array(result);
    this.stats?.add(this.stats.parsed, node, todo);
    return out;
  }

  private filterBits(node: PlanNode, bits: Bitset, test: EntryTest, needle?: Buffer): Bitset {
    const out = newBitset(this.segment.records);
    let parsed = 0;
    forEachBit(bits, (local) => {
      if (needle && !this.entries.has(local)) {
        if (recordJson(this.reader.lineInSegment(this.segment, local)).indexOf(needle) < 0) return;
      }
      parsed++;
      if (test(this.entry(local))) out[local >>> 5]! |= 1 << (local & 31);
    });
    this.stats?.add(this.stats.parsed, node, parsed);
    return out;
  }

  /** Records among `candidates` (all when undefined) that satisfy `node`. */
  async eval(node: PlanNode, candidates: Bitset | undefined): Promise<Bitset> {
    const out = await this.evalNode(node, candidates);
    this.stats?.add(this.stats.matched, node, popcount(out));
    return out;
  }

  private async evalNode(node: PlanNode, candidates: Bitset | undefined): Promise<Bitset> {
    const { reader, segment } = this;
    const records = segment.records;
    if (
      (node.kind === "terms" || node.kind === "range" || node.kind === "dict") &&
      !isFieldCurrent(segment, node.field)
    ) {
      // Postings built before the field existed, or by an older extraction of it: the entries.
      this.stats?.addStaleScan(node.field.name, segment.id);
      return this.scan(node.stale, candidates);
    }
    switch (node.kind) {
      case "all":
        return candidates ? candidates.slice() : fullBitset(records);
      case "terms": {
        const bits = newBitset(records);
        reader.scanSortedTerms(node.field.code, segment, node.terms, (_, postings) =>
          postings.add(bits),
        );
        if (candidates) andInto(bits, candidates);
        return node.recheck ? this.filterBits(node, bits, node.recheck) : bits;
      }
      case "range": {
        const whole = reader.rangeCoversSegment(node.field.code, segment, node.lo, node.hi);
        if (whole === "none") return newBitset(records);
        let bits: Bitset;
        if (whole === "all" && !node.keep) {
          bits = fullBitset(records);
        } else {
          bits = newBitset(records);
          const keep = node.keep;
          reader.scanTerms(node.field.code, segment, node.lo, node.hi, (term, postings) => {
            if (!keep || keep(term)) postings.add(bits);
          });
        }
        if (candidates) andInto(bits, candidates);
        return node.recheck ? this.filterBits(node, bits, node.recheck) : bits;
      }
      case "dict": {
        // Only matches through a cut term (a value longer than a term) need the entry re-checked.
        const bits = newBitset(records);
        const maybe = node.recheck ? newBitset(records) : undefined;
        const kind = node.field.kind;
        reader.scanTerms(node.field.code, segment, undefined, undefined, (term, postings) => {
          const binary = term.toString("latin1");
          // A cut term's text is only the start of its value: the entry decides.
          if (maybe && isCutTerm(binary)) postings.add(maybe);
          else if (node.test(termText(kind, binary), term)) postings.add(bits);
        });
        if (candidates) andInto(bits, candidates);
        if (!maybe) return bits;
        if (candidates) andInto(maybe, candidates);
        const confirmed = this.filterBits(node, maybe, node.recheck!);
        for (let i = 0; i < bits.length; i++) bits[i]! |= confirmed[i]!;
        return bits;
      }
      case "filter":
        return this.scan(node, candidates);
      case "and": {
        let bits = candidates;
        const ordered = [...node.children].sort((a, b) => cost(a, segment) - cost(b, segment));
        for (const child of ordered) {
          bits = await this.eval(child, bits);
          if (isEmpty(bits)) break;
        }
        return bits ?? fullBitset(records);
      }
      case "or": {
        const bits = newBitset(records);
        const ordered = [...node.children].sort((a, b) => cost(a, segment) - cost(b, segment));
        for (const child of ordered) {
          // A costly child need only look at candidates not matched yet.
          let rest = candidates;
          if (cost(child, segment) >= 10) {
            rest = (candidates ?? fullBitset(records)).slice();
            for (let i = 0; i < rest.length; i++) rest[i]! &= ~bits[i]!;
          }
          const got = await this.eval(child, rest);
          for (let i = 0; i < bits.length; i++) bits[i]! |= got[i]!;
        }
        return bits;
      }
      case "not": {
        const base = candidates ? candidates.slice() : fullBitset(records);
        const inner = await this.eval(node.child, base);
        for (let i = 0; i < base.length; i++) base[i]! &= ~inner[i]!;
        return base;
      }
      default:
        return assertNever(node);
    }
  }
}

class LazyRecord implements MatchedRecord {
  private parsed: AuditEntry | undefined;
  constructor(
    readonly id: number,
    readonly line: Buffer,
    private readonly origin: RecordOrigin | undefined,
  ) {}
  entry(): AuditEntry {
    return (this.parsed ??= withOrigin(recordEntry<AuditEntry>(this.line), this.origin));
  }
}

/** The record with global id `id` (its entry parsed on first use). */
export function recordById(reader: IndexReader, id: number): MatchedRecord {
  const segment = reader.segmentOf(id);
  return new LazyRecord(id, reader.line(id), segment && reader.originOf(segment));
}

/** Every record matching `plan`, ascending by id. Pull-driven: stop iterating to stop work. */
export async function* executePlan(
  reader: IndexReader,
  plan: PlanNode,
  stats?: NodeStats,
): AsyncGenerator<MatchedRecord> {
  for await (const { segment, bits } of segmentMatchesInOrder(reader, plan, stats)) {
    const locals: number[] = [];
    forEachBit(bits, (local) => locals.push(local));
    for (const local of locals) {
      yield new LazyRecord(
        segment.base + local,
        reader.lineInSegment(segment, local),
        reader.originOf(segment),
      );
    }
  }
}

/**
 * Each segment with the bitset of its records matching `plan`, in segment order; the next
 * SEGMENTS_AHEAD segments are evaluated while the caller works on one. Stop iterating to stop.
 */
export async function* segmentMatchesInOrder(
  reader: IndexReader,
  plan: PlanNode,
  stats?: NodeStats,
): AsyncGenerator<{ segment: SegmentMeta; bits: Bitset }> {
  const segments = reader.segments;
  const pending: Promise<Bitset>[] = [];
  const start = (i: number): void => {
    const segment = segments[i];
    if (segment) pending.push(segmentMatches(reader, segment, plan, stats));
  };
  for (let i = 0; i < SEGMENTS_AHEAD; i++) start(i);
  for (let i = 0; i < segments.length; i++) {
    const bits = await pending.shift()!;
    start(i + SEGMENTS_AHEAD);
    yield { segment: segments[i]!, bits };
  }
}

/** The records of one segment that match `plan`, as a bitset over the segment's records. */
export function segmentMatches(
  reader: IndexReader,
  segment: SegmentMeta,
  plan: PlanNode,
  stats?: NodeStats,
): Promise<Bitset> {
  return new SegmentRun(reader, segment, stats).eval(plan, undefined);
}

/** How many records match, without reading any record the plan does not need. */
export async function countPlan(
  reader: IndexReader,
  plan: PlanNode,
  stats?: NodeStats,
): Promise<number> {
  const counts = await Promise.all(
    reader.segments.map(async (segment) =>
      popcount(await new SegmentRun(reader, segment, stats).eval(plan, undefined)),
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
}
