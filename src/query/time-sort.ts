// `sort time [desc]` (and `sort time | limit N`) as a query's first stage, from the time
// dictionary: in each segment the plan's bitset, then the time terms in order with their matching
// records. A record's key is its term's instant, so no record is read or parsed to sort it; the
// records are read only as they are emitted (SortCollector, the sort stage's own ordering, ties by
// record id). On the bench's 1M records the stage read and parsed every record to key it.
//
// The dictionary tells a record's first `time` (what the stage sorts by) when every time value of
// the segment has a term (an unparsable one is listed in SegmentMeta.untermedFields) and no matched
// record holds two different instants; a matched record with no term has no time. Otherwise, or
// when the segment has so few matches that reading them costs less than its dictionary, the
// segment's matched records are read and keyed as the stage keys them.
import { fieldByName } from "../audit/field-catalog.js";
import { keyInstant, type Instant } from "../audit/time-key.js";
import type { Bitset, TermPostings } from "../codec/term-pages.js";
import type { SegmentMeta } from "../store/format.js";
import type { IndexReader } from "../store/index-reader.js";
import { eachMatchedSegment } from "./dictionary-groups.js";
import { forEachBit, recordById, type NodeStats } from "./execute.js";
import { recordFieldValues } from "./field-values.js";
import type { StageContext } from "./matched-record.js";
import type { PlanNode } from "./plan.js";
import type { StageOutput } from "./stage-output.js";
import { SortCollector } from "./stages/sort-stage.js";

const TIME = fieldByName("time")!;
const TIME_FIELD = { kind: "field", name: "time", catalog: true, offset: 0 } as const;

/** A term matching this few records takes them one by one (firstIn); more, through a bitset. */
const FEW_MATCHES = 8;

/**
 * Moves the records of `postings` that are still in `left` out of it into `out`; false when fewer
 * than `n` (how many of them `bits` holds) were left: one was taken by another instant.
 */
function takeMatches(
  postings: TermPostings,
  n: number,
  left: Bitset,
  scratch: Bitset,
  out: number[],
): boolean {
  if (n <= FEW_MATCHES) {
    for (let k = 0; k < n; k++) {
      const local = postings.firstIn(left);
      if (local < 0) return false;
      left[local >>> 5]! &= ~(1 << (local & 31));
      out.push(local);
    }
    return true;
  }
  postings.add(scratch);
  let taken = 0;
  for (let w = 0; w < scratch.length; w++) {
    const mine = scratch[w]! & left[w]!;
    scratch[w] = mine;
    left[w]! &= ~mine;
  }
  forEachBit(scratch, (local) => {
    out.push(local);
    taken++;
  });
  scratch.fill(0);
  return taken === n;
}

/** The segment's matches keyed from its time terms, or false when the dictionary cannot tell. */
function keysFromDictionary(
  reader: IndexReader,
  segment: SegmentMeta,
  bits: Bitset,
  collector: SortCollector,
): boolean {
  const untermed = segment.untermedFields;
  if (untermed === undefined || untermed.includes(TIME.code)) return false;
  const left = bits.slice();
  const scratch = reader.newBitset(segment);
  const locals: number[] = [];
  const instants: Instant[] = [];
  let exact = true;
  reader.scanTerms(TIME.code, segment, undefined, undefined, (term, postings) => {
    const n = postings.countIn(bits);
    if (n === 0) return;
    const from = locals.length;
    if (!takeMatches(postings, n, left, scratch, locals)) {
      exact = false;
      return false;
    }
    const t = keyInstant(term);
    for (let k = from; k < locals.length; k++) instants.push(t);
  });
  if (!exact) return false;
  locals.forEach((local, k) => collector.addRecordAt(segment.base + local, instants[k]));
  // Matches without a time term have no time.
  forEachBit(left, (local) => collector.addRecordAt(segment.base + local, undefined));
  return true;
}

/** `sort time [desc]`, with `limit` only its first N, over the records matching `plan`. */
export async function* sortByTime(
  reader: IndexReader,
  plan: PlanNode,
  desc: boolean,
  limit: number | undefined,
  ctx: StageContext,
  stats?: NodeStats,
): AsyncGenerator<StageOutput> {
  const collector = new SortCollector(true, desc, limit);
  if (collector.keepsNothing) return;
  await eachMatchedSegment(
    reader,
    plan,
    TIME.code,
    stats,
    (segment, bits) => keysFromDictionary(reader, segment, bits, collector),
    (segment, bits) => {
      forEachBit(bits, (local) => {
        const record = recordById(reader, segment.base + local);
        collector.add(
          { kind: "record", record },
          recordFieldValues(record, TIME_FIELD)[0],
          record.id,
        );
      });
    },
  );
  yield* collector.emit(ctx);
}
