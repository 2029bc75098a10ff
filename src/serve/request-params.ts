// Request parameters, from the URL's query string (GET) or a JSON body (POST), checked: a bad
// value is a 400 naming the parameter. Values only ever go to the query engine as the query text
// the user wrote, never spliced into other query text.
import { createHash } from "node:crypto";
import { HttpError } from "./http-errors.js";

/** A page is at most this many results (a larger `limit` is a 413); its default is smaller. */
export const MAX_PAGE_ROWS = 100_000;
export const DEFAULT_PAGE_ROWS = 1_000;
/** Query text longer than this is refused (a query is typed, not generated). */
export const MAX_QUERY_CHARS = 64 << 10;

export type Params = Readonly<Record<string, unknown>>;

/** The query string and the JSON body as one set of parameters (the body wins). */
export function paramsOf(req: { query: unknown; body: unknown }): Params {
  const fromUrl = (req.query ?? {}) as Params;
  const fromBody =
    req.body && typeof req.body === "object" && !Array.isArray(req.body)
      ? (req.body as Params)
      : {};
  return { ...fromUrl, ...fromBody };
}

export function queryText(p: Params, name = "q"): string {
  const q = p[name];
  if (typeof q !== "string" || q.trim() === "") {
    throw new HttpError(
      400,
      `parameter ${name} (the query) is required`,
      "e.g. ?q=ip%20%3D%2010.0.0.1",
    );
  }
  if (q.length > MAX_QUERY_CHARS) {
    throw new HttpError(413, `the query is longer than ${MAX_QUERY_CHARS} characters`);
  }
  return q;
}

export function optionalString(p: Params, name: string): string | undefined {
  const v = p[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new HttpError(400, `parameter ${name} must be a string`);
  return v;
}

export function flag(p: Params, name: string): boolean {
  const v = p[name];
  if (v === undefined || v === false || v === "0" || v === "false" || v === "") return false;
  if (v === true || v === "1" || v === "true") return true;
  throw new HttpError(400, `parameter ${name} must be true or false`);
}

export function wholeNumber(p: Params, name: string): number | undefined {
  const v = p[name];
  if (v === undefined) return undefined;
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new HttpError(400, `parameter ${name} must be a whole number ≥ 0`);
  }
  return n;
}

/** `limit`: results in this page (default DEFAULT_PAGE_ROWS, at most MAX_PAGE_ROWS: else 413). */
export function pageLimit(p: Params): number {
  const n = wholeNumber(p, "limit") ?? DEFAULT_PAGE_ROWS;
  if (n > MAX_PAGE_ROWS) {
    throw new HttpError(
      413,
      `limit ${n} is more than ${MAX_PAGE_ROWS} results a page`,
      "ask for the next page with the cursor instead",
    );
  }
  if (n === 0) throw new HttpError(400, "parameter limit must be at least 1");
  return n;
}

const INTERVAL_UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** A timeline interval as the language writes it (30s, 5m, 1h, 1d, 1w), in ms. */
export function interval(p: Params): number | undefined {
  const v = optionalString(p, "interval");
  if (v === undefined || v === "") return undefined;
  const m = /^([1-9]\d{0,6})([smhdw])$/.exec(v);
  if (!m) {
    throw new HttpError(
      400,
      `interval ${JSON.stringify(v)} is not an interval`,
      "e.g. 30s, 5m, 1h, 1d, 1w",
    );
  }
  return Number(m[1]) * INTERVAL_UNIT_MS[m[2]!]!;
}

function queryTag(q: string): string {
  return createHash("sha256").update(q).digest("base64url").slice(0, 12);
}

/** The cursor of the page that starts `offset` results into the query's answer. Opaque to clients. */
export function cursorFor(q: string, offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset, q: queryTag(q) })).toString("base64url");
}

/** The offset a cursor stands for; 400 when it is not one, or is another query's. */
export function cursorOffset(p: Params, q: string): number {
  const c = optionalString(p, "cursor");
  if (c === undefined || c === "") return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(c, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const o = (parsed as { o?: unknown } | undefined)?.o;
  const tag = (parsed as { q?: unknown } | undefined)?.q;
  if (typeof o !== "number" || !Number.isSafeInteger(o) || o < 0 || typeof tag !== "string") {
    throw new HttpError(400, "parameter cursor is not a cursor this server gave");
  }
  if (tag !== queryTag(q)) {
    throw new HttpError(
      400,
      "the cursor belongs to another query",
      "send the cursor with the query it came with",
    );
  }
  return o;
}
