// The page's one door to the server's HTTP API (docs/http-api.md): requests are same-origin and
// carry the access token in the HttpOnly cookie the start URL set (the page never sees it), query results are read as NDJSON while they stream, and a 400 becomes a
// QueryProblem (message, position, hint) that the bar draws as a caret. Nothing else in web/ calls
// fetch, so an API change is a change here.

export const API = "/api/v1";

/** A query the server could not parse or run: what, where (0-based offset), and a hint. */
export class QueryProblem extends Error {
  constructor(
    message: string,
    readonly offset: number | undefined,
    readonly hint: string | undefined,
  ) {
    super(message);
  }
}

/** Anything else the server refused (403, 5xx, network). */
export class ApiFailure extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** An error body (`{"error":{"kind","message","offset","hint"}}`) as the page's error types. */
function problemOf(status: number, o: Record<string, unknown>): Error {
  const message = typeof o.message === "string" ? o.message : `HTTP ${status}`;
  if (o.kind === "query" || (status === 400 && typeof o.offset === "number")) {
    return new QueryProblem(
      message,
      typeof o.offset === "number" ? o.offset : undefined,
      typeof o.hint === "string" ? o.hint : undefined,
    );
  }
  const hint = typeof o.hint === "string" ? ` (${o.hint})` : "";
  return new ApiFailure(message + hint, status);
}

async function failure(res: Response): Promise<Error> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const err = (body as { error?: unknown } | undefined)?.error;
  const o = (typeof err === "object" && err !== null ? err : {}) as Record<string, unknown>;
  return problemOf(
    res.status,
    typeof o.message === "string" ? o : { message: `${res.status} ${res.statusText}` },
  );
}

async function getJson<T>(
  path: string,
  params: Record<string, string>,
  signal?: AbortSignal,
): Promise<T> {
  const res = await fetch(`${API}${path}?${new URLSearchParams(params)}`, { signal });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

async function postJson<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(`${API}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** One NDJSON line: its text (an original audit line for records) and its parsed value. */
export interface StreamedLine {
  readonly text: string;
  readonly value: unknown;
}

/** The last line of a results page: how many rows, the next page's cursor, or the error that cut it. */
const TRAILER_KEY = "@breakglass";

/**
 * Runs `query`, handing result lines to `onLines` in batches as they arrive; resolves when the
 * stream ends. Aborting `signal` closes the connection, which cancels the query on the server.
 */
export async function streamQuery(
  query: string,
  limit: number,
  onLines: (lines: StreamedLine[]) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await fetch(
    `${API}/query?${new URLSearchParams({ q: query, limit: String(limit) })}`,
    {
      headers: { accept: "application/x-ndjson" },
      signal,
    },
  );
  if (!res.ok || !res.body) throw await failure(res);
  let trailerError: Error | undefined;
  await readLines(res.body, (lines) => {
    const rows: StreamedLine[] = [];
    for (const line of lines) {
      const trailer = (line.value as Record<string, unknown> | null)?.[TRAILER_KEY] as
        { error?: Record<string, unknown> } | undefined;
      if (trailer === undefined) rows.push(line);
      else if (trailer.error) trailerError = problemOf(400, trailer.error);
    }
    if (rows.length) onLines(rows);
  });
  if (trailerError) throw trailerError;
}

/** Reads an NDJSON body, handing complete lines to `onLines` as each chunk arrives. */
async function readLines(
  body: ReadableStream<Uint8Array<ArrayBuffer>>,
  onLines: (lines: StreamedLine[]) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    const cut = pending.lastIndexOf("\n");
    if (cut < 0) continue;
    const batch = pending
      .slice(0, cut)
      .split("\n")
      .filter((l) => l.length > 0);
    pending = pending.slice(cut + 1);
    onLines(batch.map(parseLine));
  }
  if (pending.trim()) onLines([parseLine(pending)]);
}

function parseLine(text: string): StreamedLine {
  try {
    return { text, value: JSON.parse(text) as unknown };
  } catch {
    return { text, value: text };
  }
}

/** All of a (small) query's result values, e.g. `… | top 5 ip`. */
export async function queryValues(
  query: string,
  limit: number,
  signal?: AbortSignal,
): Promise<unknown[]> {
  const values: unknown[] = [];
  await streamQuery(
    query,
    limit,
    (lines) => values.push(...lines.map((l) => l.value)),
    signal ?? new AbortController().signal,
  );
  return values;
}

export interface Completion {
  /** Candidates for the word under the cursor. */
  readonly candidates: string[];
  /** The text they replace: [from, to) of the query. */
  readonly from: number;
  readonly to: number;
}

export function complete(text: string, pos: number, signal?: AbortSignal): Promise<Completion> {
  return getJson<Completion>("/complete", { q: text, pos: String(pos) }, signal);
}

export interface ServerInfo {
  readonly allowRevoke: boolean;
}

export function serverInfo(): Promise<ServerInfo> {
  return getJson<ServerInfo>("/server", {});
}

export interface TimelineBucket {
  readonly startMs: number;
  readonly count: number;
}

/** The query's matches counted per interval (the histogram). */
export function timeline(query: string, signal?: AbortSignal): Promise<TimelineBucket[]> {
  return getJson<{ buckets: TimelineBucket[] }>("/timeline", { q: query }, signal).then(
    (r) => r.buckets,
  );
}

export interface FacetValue {
  readonly value: string;
  readonly count: number;
}

/** The top `n` values of each of `fields` over the matches of the query's filter (the sidebar). */
export function facets(
  query: string,
  fields: readonly string[],
  n: number,
  signal?: AbortSignal,
): Promise<Record<string, FacetValue[]>> {
  return getJson<{ fields: Record<string, FacetValue[]> }>(
    "/facets",
    { q: query, fields: fields.join(","), n: String(n) },
    signal,
  ).then((r) => r.fields);
}

/** A URL that downloads the query's results (up to `limit`) as a file. */
export function downloadUrl(query: string, format: "ndjson" | "csv", limit: number): string {
  return `${API}/query?${new URLSearchParams({ q: query, format, download: "1", limit: String(limit) })}`;
}

export interface PlannedLease {
  readonly leaseId: string;
  readonly namespace: string;
  /** "skip": the server's revoke journal says it is done already. */
  readonly action: "revoke" | "skip";
}

export interface RevokePlan {
  /** Leases a revoke would send (the confirmation must repeat this number). */
  readonly count: number;
  readonly plan: readonly PlannedLease[];
}

/** The dry run: the leases a revoke of the query would send, nothing sent to Vault. */
export function revokePlan(query: string): Promise<RevokePlan> {
  return postJson<RevokePlan>("/revoke", { q: query, dryRun: true });
}

export interface RevokeOutcome {
  readonly leaseId: string;
  readonly outcome: "revoked" | "already_gone" | "failed";
  readonly reason?: string;
}

export interface RevokeSummary {
  readonly revoked: number;
  readonly alreadyGone: number;
  readonly failed: number;
  readonly failures: readonly RevokeOutcome[];
}

/**
 * Revokes the query's leases (verified: revoked / already gone / still live), `expectedCount` being
 * the dry run's count; `onOutcome` sees each lease's outcome as Vault answers.
 */
export async function revoke(
  query: string,
  expectedCount: number,
  onOutcome: (o: RevokeOutcome) => void,
): Promise<RevokeSummary> {
  const res = await fetch(`${API}/revoke`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ q: query, expectedCount, verify: true }),
  });
  if (!res.ok || !res.body) throw await failure(res);
  let summary: RevokeSummary | undefined;
  let error: string | undefined;
  await readLines(res.body, (lines) => {
    for (const { value } of lines) {
      const o = value as {
        outcome?: RevokeOutcome;
        summary?: RevokeSummary;
        error?: { message?: string };
      };
      if (o.outcome) onOutcome(o.outcome);
      if (o.summary) summary = o.summary;
      if (o.error) error = o.error.message ?? "the revoke stopped";
    }
  });
  if (error !== undefined) throw new ApiFailure(error, 502);
  if (!summary) throw new ApiFailure("the revoke ended without a summary", 502);
  return summary;
}
