// `pair`: each match with its request/response partner, joined by request.id; one pair per request
// id, in order of first appearance (a request and its response that both matched make one pair).
// A partner that is not in the index (a failed request has no response line) is null.
//
// Partners are looked up in bulk: matches are gathered in batches, and each batch's request ids go
// to StageContext.recordIdsByRequestIds at once (one sorted pass over each segment's request_id
// dictionary), not one lookup per match. Batches start small, so the first pairs come out at once
// (and a `limit` after `pair` stops early), and double up to MAX_BATCH. A batch keeps record ids
// and sides, not records: they are read again as the pairs are emitted.
import { recordFieldValues } from "../field-values.js";
import type { MatchedRecord, StageContext } from "../matched-record.js";
import type { StageOutput } from "../stage-output.js";
import { expectRecord } from "./expect-record.js";

const REQUEST_ID = { kind: "field", name: "request_id", catalog: true, offset: 0 } as const;

/** Matches in the first batch: the first pairs are out after this many. */
export const FIRST_BATCH = 256;
/**
 * The largest batch: each batch costs a pass over every segment's request_id dictionary, so big
 * batches make few passes (4 for a million matches); a match takes ~100 bytes while batched.
 */
export const MAX_BATCH = 1 << 18;

type Side = "request" | "response" | undefined;

/** `request`, `kmip-request` … are requests; `response`, `kmip-response` … responses. */
export function sideOf(record: MatchedRecord): Side {
  const type = record.entry().type;
  if (type === "request" || type.endsWith("-request")) return "request";
  if (type === "response" || type.endsWith("-response")) return "response";
  return undefined;
}

/** A match waiting for its partners. */
interface Match {
  readonly id: number;
  /** Undefined: the entry has no request id (it pairs with nothing). */
  readonly requestId: string | undefined;
  readonly side: Side;
}

/**
 * The pairs of one batch, in the batch's order. `sides`: the side of every match read while the
 * batch was gathered (also those whose request id was already paired: often the partners).
 */
async function* pairsOf(
  batch: readonly Match[],
  sides: ReadonlyMap<number, Side>,
  ctx: StageContext,
): AsyncIterable<StageOutput> {
  const requestIds = batch.flatMap((m) => (m.requestId === undefined ? [] : [m.requestId]));
  const partners = await ctx.recordIdsByRequestIds(requestIds);
  for (const m of batch) {
    const self = ctx.record(m.id);
    if (m.requestId === undefined) {
      yield {
        kind: "pair",
        requestId: null,
        request: m.side === "response" ? null : self,
        response: m.side === "response" ? self : null,
      };
      continue;
    }
    const found = partners.get(m.requestId) ?? [];
    let request: MatchedRecord | null = null;
    let response: MatchedRecord | null = null;
    for (const id of found.includes(m.id) ? found : [m.id, ...found]) {
      if (request && response) break;
      const record = id === m.id ? self : ctx.record(id);
      // A side known from the batch saves parsing the partner's entry.
      const side = sides.has(id) ? sides.get(id) : sideOf(record);
      if (side === "request") request ??= record;
      else if (side === "response") response ??= record;
    }
    yield { kind: "pair", requestId: m.requestId, request, response };
  }
}

export async function* pairStage(
  input: AsyncIterable<StageOutput>,
  ctx: StageContext,
): AsyncIterable<StageOutput> {
  const done = new Set<string>();
  let batch: Match[] = [];
  let sides = new Map<number, Side>();
  let size = FIRST_BATCH;
  for await (const item of input) {
    const record = expectRecord(item, "pair");
    const id = recordFieldValues(record, REQUEST_ID)[0];
    const requestId = typeof id === "string" ? id : undefined;
    const side = sideOf(record);
    sides.set(record.id, side);
    if (requestId !== undefined) {
      if (done.has(requestId)) continue;
      done.add(requestId);
    }
    batch.push({ id: record.id, requestId, side });
    if (batch.length >= size) {
      yield* pairsOf(batch, sides, ctx);
      batch = [];
      sides = new Map();
      size = Math.min(size * 2, MAX_BATCH);
    }
  }
  yield* pairsOf(batch, sides, ctx);
}
