// Entries → the term pages of every catalog field for one segment: what ingest (parse-lines.ts,
// from a chunk's lines) and `index --reindex` (reindex-index.ts, from a segment's stored records)
// both build postings with, so a rebuilt segment holds exactly what indexing it anew would. Pure
// and synchronous (safe in workers). Hot path: terms kept as binary strings in one Map per field;
// HMACs and UTC times in typed arrays (hmac-postings.ts, time-postings.ts).
import { kindValue } from "../audit/audit-entry.js";
import { HMAC_PREFIX } from "../audit/audit-hmac.js";
import { TermExtractor, termForText } from "../audit/extract-terms.js";
import { FIELDS } from "../audit/field-catalog.js";
import { hasTextTerms, termText } from "../audit/index-term.js";
import type { ByteWriter } from "../codec/byte-writer.js";
import { TermPagesWriter } from "../codec/term-pages.js";
import { HmacPostings, looksLikeHmac } from "./hmac-postings.js";
import { TimePostings } from "./time-postings.js";
import type { FieldPages, Span } from "./worker-protocol.js";

const IS_TEXT_FIELD = FIELDS.map((f) => hasTextTerms(f.kind));
const TIME_FIELD = FIELDS.findIndex((f) => f.kind === "time");
const TOKEN_FIELD = FIELDS.findIndex((f) => f.name === "token");
const extractor = new TermExtractor();

/** A segment's postings: term pages (spans into the payload) and what the time terms span. */
export interface BuiltPostings {
  readonly fields: readonly FieldPages[];
  /** Codes of the fields that had a value with no term (an address that does not parse). */
  readonly untermedFields: readonly number[];
  /** Earliest and latest `time` (RFC 3339), if any record had one. */
  readonly minTime: string | undefined;
  readonly maxTime: string | undefined;
  /** Records with a parsable `time`. */
  readonly timedRecords: number;
}

/** Merge two ascending id lists into one, without duplicates. */
function unionSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = i < a.length ? a[i]! : Infinity;
    const y = j < b.length ? b[j]! : Infinity;
    const v = Math.min(x, y);
    if (x === v) i++;
    if (y === v) j++;
    out.push(v);
  }
  return out;
}

/**
 * Texts → terms; texts with one term (`10.0.0.5` and `10.0.0.5:5696`) share a posting list. A
 * text with no term is either no value of the field (an `ip` that is no address: dropped) or a
 * value the dictionary cannot list (a `time` that does not parse: `untermed`).
 * A text seen in one record maps to that record's id (a number: most texts are unique, and one
 * array per text was a tenth of a worker's time in garbage collection).
 */
function termsOfTexts(
  field: number,
  texts: Map<string, number | number[]>,
): { terms: Map<string, number[]>; untermed: boolean } {
  const terms = new Map<string, number[]>();
  let untermed = false;
  for (const [text, idOrIds] of texts) {
    const ids = typeof idOrIds === "number" ? [idOrIds] : idOrIds;
    const term = termForText(field, text);
    if (term === undefined) {
      if (kindValue(FIELDS[field]!.kind, text) !== undefined) untermed = true;
      continue;
    }
    const seen = terms.get(term);
    terms.set(term, seen ? unionSorted(seen, ids) : ids);
  }
  return { terms, untermed };
}

export class PostingsBuilder {
  private readonly textMaps = FIELDS.map(() => new Map<string, number | number[]>());
  private readonly hmacs = FIELDS.map(() => new HmacPostings());
  private readonly times = new TimePostings();
  private currentId = 0;
  private rawToken = false;

  private readonly sink = (f: number, text: string): void => {
    const id = this.currentId;
    if (IS_TEXT_FIELD[f] && looksLikeHmac(text) && this.hmacs[f]!.add(text, id)) return;
    // A device with log_raw=true writes client tokens in plain text (never empty: empty is absent).
    if (f === TOKEN_FIELD && !text.startsWith(HMAC_PREFIX)) this.rawToken = true;
    if (f === TIME_FIELD && this.times.add(text, id)) return;
    const map = this.textMaps[f]!;
    const seen = map.get(text);
    if (seen === undefined) map.set(text, id);
    else if (typeof seen === "number") {
      if (seen !== id) map.set(text, [seen, id]);
    } else if (seen[seen.length - 1] !== id) seen.push(id);
  };

  /**
   * Index `entry` (a parsed audit entry) as the segment's record `id`; ids come in ascending
   * order. True when its client token is plaintext (a log_raw device).
   */
  add(entry: unknown, id: number): boolean {
    this.currentId = id;
    this.rawToken = false;
    extractor.extract(entry, this.sink);
    return this.rawToken;
  }

  /** Every field's term pages and directory for a segment of `records` records, into `payload`. */
  finish(records: number, payload: ByteWriter): BuiltPostings {
    const fields: FieldPages[] = [];
    const untermedFields: number[] = [];
    let minTimeTerm: string | undefined;
    let maxTimeTerm: string | undefined;
    let timedRecords = 0;
    const times = this.times;
    for (let f = 0; f < FIELDS.length; f++) {
      const { terms, untermed } = termsOfTexts(f, this.textMaps[f]!);
      if (untermed) untermedFields.push(FIELDS[f]!.code);
      const hmacTerms = this.hmacs[f]!;
      // Times of the usual shape are in `times`; merged into the Map only when other shapes came.
      const fastTimes = f === TIME_FIELD && times.length > 0;
      if (fastTimes && terms.size > 0) times.collect(terms);
      if (terms.size === 0 && hmacTerms.length === 0 && !fastTimes) continue;
      const writer = new TermPagesWriter(records);
      if (fastTimes && terms.size === 0) {
        const span = times.writeTo(writer);
        ({ min: minTimeTerm, max: maxTimeTerm, records: timedRecords } = span);
      } else {
        // Binary strings compare in byte order, which is the order the pages are searched in.
        const sorted = [...terms.keys()].sort();
        if (f === TIME_FIELD) {
          for (const ids of terms.values()) timedRecords += ids.length;
          minTimeTerm = sorted[0];
          maxTimeTerm = sorted[sorted.length - 1];
        }
        for (const term of sorted) writer.add(term, terms.get(term)!);
      }
      // HMAC terms (TAG_HMAC) sort after every text term (TAG_TEXT): they go last, straight from
      // their sorted typed arrays.
      hmacTerms.writeTo(writer);
      const encoded = writer.finish();
      const pages: Span[] = [];
      for (const page of encoded.pages) {
        pages.push([payload.length, page.length]);
        payload.bytes(page);
      }
      const directory: Span = [payload.length, encoded.directory.length];
      payload.bytes(encoded.directory);
      fields.push({ code: FIELDS[f]!.code, termCount: encoded.termCount, directory, pages });
    }
    return {
      fields,
      untermedFields,
      minTime: minTimeTerm === undefined ? undefined : termText("time", minTimeTerm),
      maxTime: maxTimeTerm === undefined ? undefined : termText("time", maxTimeTerm),
      timedRecords,
    };
  }
}
