// `pair`: each match with its request/response partner, joined by request.id through
// StageContext.recordsByRequestId; one pair per request id, in order of first appearance (a
// request and its response that both matched make one pair). A partner that is not in the index
// (a failed request has no response line) is null. Streams; one index lookup per request id.
import { recordFieldValues } from "../field-values.js";
import type { MatchedRecord, StageContext } from "../matched-record.js";
import type { StageOutput } from "../stage-output.js";
import { expectRecord } from "./expect-record.js";

const REQUEST_ID = { kind: "field", name: "request_id", catalog: true, offset: 0 } as const;

type Side = "request" | "response" | undefined;

/** `request`, `kmip-request` … are requests; `response`, `kmip-response` … responses. */
export function sideOf(record: MatchedRecord): Side {
  const type = record.entry().type;
  if (type === "request" || type.endsWith("-request")) return "request";
  if (type === "response" || type.endsWith("-response")) return "response";
  return undefined;
}

export async function* pairStage(
  input: AsyncIterable<StageOutput>,
  ctx: StageContext,
): AsyncIterable<StageOutput> {
  const done = new Set<string>();
  for await (const item of input) {
    const record = expectRecord(item, "pair");
    const id = recordFieldValues(record, REQUEST_ID)[0];
    if (typeof id !== "string") {
      const side = sideOf(record);
      yield {
        kind: "pair",
        requestId: null,
        request: side === "response" ? null : record,
        response: side === "response" ? record : null,
      };
      continue;
    }
    if (done.has(id)) continue;
    done.add(id);
    let request: MatchedRecord | null = null;
    let response: MatchedRecord | null = null;
    const partners = await ctx.recordsByRequestId(id);
    for (const r of partners.some((p) => p.id === record.id) ? partners : [record, ...partners]) {
      const side = sideOf(r);
      if (side === "request") request ??= r;
      else if (side === "response") response ??= r;
    }
    yield { kind: "pair", requestId: id, request, response };
  }
}
