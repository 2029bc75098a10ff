// Which records hold each of many request ids (`pair`'s partners)? Answered in bulk: the ids'
// terms sorted once, then one merged pass over each segment's request_id dictionary
// (IndexReader.scanSortedTerms) for the whole list, instead of a lookup (and a plan) per id in
// every segment: ~0.5 ms a record on a 64-segment index before. A term cut short (an id longer
// than a term holds) may stand for several ids: its records are checked on their entries.
import { catalogFieldValues } from "../audit/audit-entry.js";
import { fieldByName } from "../audit/field-catalog.js";
import { binaryToBytes, textTerm } from "../audit/index-term.js";
import { recordEntry } from "../audit/framing/record-json.js";
import type { Bitset, TermPostings } from "../codec/term-pages.js";
import type { IndexReader } from "../store/index-reader.js";
import { isFieldCurrent } from "../store/segment-catalog.js";
import { forEachBit } from "./execute.js";

const REQUEST_ID = fieldByName("request_id")!;

/** Postings this short are read id by id (firstIn); longer ones through a bitset. */
const FEW_POSTINGS = 8;

/** Appends the records of `postings` (a term of `segment`) to `out` as global ids, ascending. */
function appendIds(
  postings: TermPostings,
  base: number,
  all: Bitset,
  scratch: Bitset,
  out: number[],
): void {
  const n = postings.count();
  if (n <= FEW_POSTINGS) {
    // Each lowest id is cleared from `all` to find the next, then `all` is restored.
    const taken: number[] = [];
    for (let k = 0; k < n; k++) {
      const local = postings.firstIn(all);
      if (local < 0) break;
      taken.push(local);
      all[local >>> 5]! &= ~(1 << (local & 31));
    }
    for (const local of taken) {
      all[local >>> 5]! |= 1 << (local & 31);
      out.push(base + local);
    }
    return;
  }
  postings.add(scratch);
  forEachBit(scratch, (local) => out.push(base + local));
  scratch.fill(0);
}

/** For each request id, the ids of the records whose request.id is it, ascending. */
export function recordIdsByRequestIds(
  reader: IndexReader,
  requestIds: readonly string[],
): Map<string, number[]> {
  // A term and the request ids it stands for (several only when it is cut).
  const idsOfTerm = new Map<string, string[]>();
  const cut = new Set<string>();
  for (const id of requestIds) {
    const t = textTerm(id);
    const ids = idsOfTerm.get(t.term);
    if (ids) ids.push(id);
    else idsOfTerm.set(t.term, [id]);
    if (t.cut) cut.add(t.term);
  }
  // Binary strings sort in byte order, the dictionary's.
  const binary = [...idsOfTerm.keys()].sort();
  const terms = binary.map(binaryToBytes);
  const found: number[][] = binary.map(() => []);
  const indexOfTerm = new Map(binary.map((t, i) => [t, i]));
  for (const segment of reader.segments) {
    if (!isFieldCurrent(segment, REQUEST_ID)) {
      // Postings of another revision of request_id, or none: the segment's entries say.
      for (let local = 0; local < segment.records; local++) {
        const entry = recordEntry(reader.lineInSegment(segment, local));
        const terms = new Set(catalogFieldValues(entry, REQUEST_ID).map((v) => textTerm(v).term));
        for (const term of terms) {
          const i = indexOfTerm.get(term);
          if (i !== undefined) found[i]!.push(segment.base + local);
        }
      }
      continue;
    }
    if (!segment.fieldPages[REQUEST_ID.code]) continue;
    const all = reader.newBitset(segment).fill(0xffffffff);
    const scratch = reader.newBitset(segment);
    reader.scanSortedTerms(REQUEST_ID.code, segment, terms, (i, postings) => {
      appendIds(postings, segment.base, all, scratch, found[i]!);
    });
  }
  const out = new Map<string, number[]>();
  binary.forEach((term, i) => {
    const ids = idsOfTerm.get(term)!;
    const records = found[i]!;
    if (!cut.has(term)) {
      for (const id of ids) out.set(id, records);
      return;
    }
    const values = records.map((r) => catalogFieldValues(recordEntry(reader.line(r)), REQUEST_ID));
    for (const id of ids)
      out.set(
        id,
        records.filter((_, k) => values[k]!.includes(id)),
      );
  });
  return out;
}
