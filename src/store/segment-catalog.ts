// Which catalog a segment was indexed with: per field, the revision of the field's extraction
// (audit/field-catalog.ts) its postings were built from. A segment is current for a field when it
// indexed the field at the catalog's revision; otherwise (the field came later, or its extraction
// changed since) its postings for the field are missing or stale, so queries answer that field
// from the segment's records (query/execute.ts) and `breakglass index --reindex`
// (store/reindex-segments.ts) rebuilds its postings. Cheap: one object lookup per field and
// segment.
import { FIELDS, type FieldSpec } from "../audit/field-catalog.js";
import type { SegmentMeta } from "./format.js";

/**
 * The field codes of the catalog at commit dff17fd, the last breakglass whose segments record no
 * fieldRevisions: such a segment (format version 3 without the record) indexed exactly these
 * fields, each at revision 1. It describes indexes already on disk: never edit it.
 */
export const UNRECORDED_CATALOG_CODES: readonly number[] = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
  28, 29, 30, 31,
];
const UNRECORDED = new Set(UNRECORDED_CATALOG_CODES);

/** Why a segment's postings of a field cannot answer for it. */
export type StaleReason = "absent" | "revision";

/** The revisions a segment indexed by this build records: the whole catalog's. */
export function currentFieldRevisions(): Record<number, number> {
  const out: Record<number, number> = {};
  for (const f of FIELDS) out[f.code] = f.revision;
  return out;
}

/** The revision of field `code` a segment indexed, or undefined when it did not index it. */
export function indexedRevision(segment: SegmentMeta, code: number): number | undefined {
  const recorded = segment.fieldRevisions;
  if (recorded === undefined) return UNRECORDED.has(code) ? 1 : undefined;
  return recorded[code];
}

/** Undefined when the segment's postings answer for `field`; else why not. */
export function staleReason(segment: SegmentMeta, field: FieldSpec): StaleReason | undefined {
  const revision = indexedRevision(segment, field.code);
  if (revision === undefined) return "absent";
  return revision === field.revision ? undefined : "revision";
}

/** Whether the segment's postings answer for `field` (see staleReason). */
export function isFieldCurrent(segment: SegmentMeta, field: FieldSpec): boolean {
  return staleReason(segment, field) === undefined;
}

/** Whether any field of the catalog has to be rebuilt in the segment. */
export function isSegmentStale(segment: SegmentMeta): boolean {
  return FIELDS.some((f) => !isFieldCurrent(segment, f));
}

/**
 * The revisions of a segment merged from `run` (compaction): a field's revision when every member
 * indexed it at that one revision; a field a member lacks, or members disagree on, is left out
 * (not indexed: its merged postings are partial), so the merged segment is stale for it.
 */
export function mergedFieldRevisions(run: readonly SegmentMeta[]): Record<number, number> {
  const codes = new Set<number>(UNRECORDED_CATALOG_CODES);
  for (const s of run) for (const c of Object.keys(s.fieldRevisions ?? {})) codes.add(Number(c));
  const out: Record<number, number> = {};
  for (const code of [...codes].sort((a, b) => a - b)) {
    const revisions = new Set(run.map((s) => indexedRevision(s, code)));
    const [only] = revisions;
    if (revisions.size === 1 && only !== undefined) out[code] = only;
  }
  return out;
}
