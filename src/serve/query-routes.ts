// The query endpoints: query (results streamed as NDJSON or CSV, a page at a time with a cursor),
// explain, and for a query its timeline buckets, the top values of fields (facets) and leases.
// Each holds a query slot (query-slots.ts) and a snapshot of the source (serve-source.ts: the
// index, or ClickHouse) while it runs. A query whose client goes away stops:
// no further result is pulled from the engine (the pipeline's generators are returned).
import type { FastifyInstance, FastifyReply } from "fastify";
import { bucketTime } from "../output/item-json.js";
import { writeOutput } from "../output/write-output.js";
import { fieldByName } from "../audit/field-catalog.js";
import type { FieldRef, Stage } from "../query/ast.js";
import { runPrepared, runQuery } from "../query/run-query.js";
import type { StageOutput } from "../query/stage-output.js";
import { errorBody, HttpError } from "./http-errors.js";
import type { ServeSnapshot } from "./serve-source.js";
import {
  cursorFor,
  cursorOffset,
  flag,
  interval,
  MAX_PAGE_ROWS,
  optionalString,
  pageLimit,
  paramsOf,
  queryText,
  wholeNumber,
  type Params,
} from "./request-params.js";
import type { ServeContext } from "./serve-context.js";

/** The fields `facets` counts when none are named: what a responder looks at first. */
export const DEFAULT_FACET_FIELDS = [
  "ip",
  "path",
  "op",
  "display_name",
  "role",
  "outcome",
  "namespace",
];
const DEFAULT_FACET_VALUES = 10;
const MAX_FACET_VALUES = 100;
const MAX_FACET_FIELDS = 20;

function facetFields(p: Params): string[] {
  const raw = optionalString(p, "fields");
  const names =
    raw === undefined || raw === "" ? DEFAULT_FACET_FIELDS : raw.split(",").map((f) => f.trim());
  if (names.length > MAX_FACET_FIELDS)
    throw new HttpError(400, `at most ${MAX_FACET_FIELDS} fields`);
  for (const name of names) {
    if (!fieldByName(name)) {
      throw new HttpError(
        400,
        `unknown field ${JSON.stringify(name)}`,
        "GET /api/v1/fields lists them",
      );
    }
  }
  return names;
}

/** The trailer line's one key: no audit entry or stage row has it (field names have no `@`). */
export const TRAILER_KEY = "@breakglass";

/** An AbortSignal that fires when the client goes away before the response is finished. */
function clientGone(reply: FastifyReply): AbortController {
  const abort = new AbortController();
  reply.raw.on("close", () => {
    if (!reply.raw.writableFinished) abort.abort();
  });
  return abort;
}

/** Run `work` holding a query slot and the newest snapshot; counts the request as served. */
async function withQuery<T>(
  ctx: ServeContext,
  abort: AbortController,
  work: (snapshot: ServeSnapshot) => Promise<T>,
): Promise<T> {
  const release = await ctx.slots.acquire(abort.signal);
  const snapshot = ctx.snapshots.acquire();
  try {
    return await work(snapshot);
  } finally {
    ctx.snapshots.release(snapshot);
    release();
    ctx.activity.served++;
    if (abort.signal.aborted) ctx.activity.cancelled++;
  }
}

/** Every item (at most MAX_PAGE_ROWS: a 413 beyond, for the answers given in one piece). */
async function gather(
  ctx: ServeContext,
  items: AsyncIterable<StageOutput>,
  signal: AbortSignal,
): Promise<StageOutput[]> {
  const out: StageOutput[] = [];
  for await (const item of items) {
    if (signal.aborted) break;
    ctx.activity.rowsPulled++;
    out.push(item);
    if (out.length > MAX_PAGE_ROWS) {
      throw new HttpError(
        413,
        `the answer has more than ${MAX_PAGE_ROWS} items`,
        "narrow the query",
      );
    }
  }
  return out;
}

/** A whole query's items (`leases`). */
async function collect(
  ctx: ServeContext,
  snapshot: ServeSnapshot,
  text: string,
  signal: AbortSignal,
): Promise<StageOutput[]> {
  const run = await runQuery(snapshot.engine, text, { limit: MAX_PAGE_ROWS + 1 });
  return gather(ctx, run.items, signal);
}

/**
 * The items of `stages` run on the matches of a query's filter (its own stages are left out: the
 * histogram and the field sidebar describe the matches, whatever the pipeline makes of them).
 */
async function collectStages(
  ctx: ServeContext,
  snapshot: ServeSnapshot,
  text: string,
  stages: readonly Stage[],
  signal: AbortSignal,
): Promise<StageOutput[]> {
  const prepared = await snapshot.engine.prepare(text);
  return gather(ctx, runPrepared(snapshot.engine, prepared, stages, undefined), signal);
}

/** `QUERY | leases` unless it already ends in `| leases` (as `revoke --query` does). */
export function leasesQuery(q: string): string {
  const trimmed = q.trim();
  return /\|\s*leases\s*$/i.test(trimmed) ? trimmed : `${trimmed} | leases`;
}

/** The stream of one results page: items after `offset`, at most `limit`, while the client stays. */
async function streamQuery(ctx: ServeContext, p: Params, reply: FastifyReply): Promise<void> {
  const q = queryText(p);
  const limit = pageLimit(p);
  const offset = cursorOffset(p, q);
  const format = optionalString(p, "format") ?? "ndjson";
  if (format !== "ndjson" && format !== "csv") {
    throw new HttpError(400, `format ${JSON.stringify(format)} is not ndjson or csv`);
  }
  const download = flag(p, "download");
  const abort = clientGone(reply);
  await withQuery(ctx, abort, async (snapshot) => {
    const run = await runQuery(snapshot.engine, q, { limit: offset + limit + 1 });
    const iterator = run.items[Symbol.asyncIterator]();
    try {
      // The first result is pulled before the status is sent, so a query that fails at once
      // (a stage that does not fit its input) is still a 400 with its message.
      const first = await iterator.next();
      reply.hijack();
      reply.raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        "content-type":
          format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
        "cache-control": "no-store",
        ...(download
          ? { "content-disposition": `attachment; filename="breakglass-results.${format}"` }
          : {}),
      });
      let rows = 0;
      let more = false;
      async function* page(): AsyncGenerator<StageOutput> {
        let next = first;
        for (let index = 0; !next.done; index++) {
          if (abort.signal.aborted) return;
          ctx.activity.rowsPulled++;
          if (index >= offset) {
            if (rows === limit) {
              more = true;
              return;
            }
            rows++;
            yield next.value;
          }
          next = await iterator.next();
        }
      }
      let failure: unknown;
      try {
        await writeOutput(page(), format, reply.raw);
      } catch (err) {
        failure = err;
      }
      if (abort.signal.aborted) return;
      if (format === "ndjson" && !download) {
        const trailer =
          failure === undefined
            ? { rows, next: more ? cursorFor(q, offset + rows) : null }
            : { rows, next: null, error: errorBody(failure).error };
        reply.raw.write(JSON.stringify({ [TRAILER_KEY]: trailer }) + "\n");
      }
      reply.raw.end();
    } finally {
      void iterator.return?.(undefined)?.catch(() => undefined);
    }
  });
}

export function registerQueryRoutes(app: FastifyInstance, ctx: ServeContext): void {
  app.route({
    method: ["GET", "POST"],
    url: "/api/v1/query",
    handler: async (req, reply) => {
      await streamQuery(ctx, paramsOf(req), reply);
      return reply;
    },
  });

  app.route({
    method: ["GET", "POST"],
    url: "/api/v1/explain",
    handler: async (req, reply) => {
      const p = paramsOf(req);
      const q = queryText(p);
      const analyze = flag(p, "analyze");
      const abort = clientGone(reply);
      return withQuery(ctx, abort, async ({ engine }) => {
        if (!analyze) {
          const prepared = await engine.prepare(q);
          return { query: q, analyzed: false, plan: await engine.explain(prepared) };
        }
        const run = await runQuery(engine, q, { collectStats: true });
        let rows = 0;
        for await (const _ of run.items) {
          if (abort.signal.aborted) break;
          rows++;
        }
        ctx.activity.rowsPulled += rows;
        return {
          query: q,
          analyzed: true,
          rows,
          plan: await engine.explain(run.prepared, run.stats),
        };
      });
    },
  });

  app.route({
    method: ["GET", "POST"],
    url: "/api/v1/timeline",
    handler: async (req, reply) => {
      const p = paramsOf(req);
      const q = queryText(p);
      const intervalMs = interval(p);
      const abort = clientGone(reply);
      return withQuery(ctx, abort, async (snapshot) => {
        const stage: Stage = { kind: "timeline", intervalMs, offset: q.length };
        const items = await collectStages(ctx, snapshot, q, [stage], abort.signal);
        const buckets = items.flatMap((i) =>
          i.kind === "bucket"
            ? [{ time: bucketTime(i.startMs), startMs: i.startMs, count: i.count }]
            : [],
        );
        const first = items.find((i) => i.kind === "bucket");
        return {
          query: q,
          intervalMs: first?.kind === "bucket" ? first.intervalMs : null,
          total: buckets.reduce((n, b) => n + b.count, 0),
          buckets,
        };
      });
    },
  });

  app.route({
    method: ["GET", "POST"],
    url: "/api/v1/facets",
    handler: async (req, reply) => {
      const p = paramsOf(req);
      const q = queryText(p);
      const fields = facetFields(p);
      const n = Math.min(wholeNumber(p, "n") ?? DEFAULT_FACET_VALUES, MAX_FACET_VALUES);
      const abort = clientGone(reply);
      return withQuery(ctx, abort, async (snapshot) => {
        const out: Record<string, { value: unknown; count: number }[]> = {};
        for (const name of fields) {
          const field: FieldRef = { kind: "field", name, catalog: true, offset: 0 };
          const items = await collectStages(
            ctx,
            snapshot,
            q,
            [{ kind: "top", n, field, offset: q.length }],
            abort.signal,
          );
          out[name] = items.flatMap((i) =>
            i.kind === "group" ? [{ value: i.value, count: i.count }] : [],
          );
        }
        return { query: q, fields: out };
      });
    },
  });

  app.route({
    method: ["GET", "POST"],
    url: "/api/v1/leases",
    handler: async (req, reply) => {
      const q = queryText(paramsOf(req));
      const abort = clientGone(reply);
      return withQuery(ctx, abort, async (snapshot) => {
        const items = await collect(ctx, snapshot, leasesQuery(q), abort.signal);
        const leases = items.flatMap((i) =>
          i.kind === "lease" ? [{ lease: i.lease, namespace: i.namespace }] : [],
        );
        return { query: q, count: leases.length, leases };
      });
    },
  });
}
