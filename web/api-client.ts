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

async function failure(res: Response): Promise<Error> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const err = (body as { error?: unknown } | undefined)?.error ?? body;
  const o = (typeof err === "object" && err !== null ? err : {}) as Record<string, unknown>;
  const message = typeof o.message === "string" ? o.message : `${res.status} ${res.statusText}`;
  if (res.status === 400) {
    const offset =
      typeof o.offset === "number"
        ? o.offset
        : typeof o.position === "number"
          ? o.position
          : undefined;
    return new QueryProblem(message, offset, typeof o.hint === "string" ? o.hint : undefined);
  }
  return new ApiFailure(message, res.status);
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

/**
 * Runs `query`, handing lines to `onLines` in batches as they arrive; resolves when the stream ends.
 * Aborting `signal` cancels the query on the server (the connection closes).
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
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pending += value;
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
  /** The part of the input the candidates replace (its end is the cursor). */
  readonly prefix: string;
}

export function complete(text: string, signal?: AbortSignal): Promise<Completion> {
  return getJson<Completion>("/complete", { q: text }, signal);
}

export interface ServerInfo {
  readonly allowRevoke: boolean;
  readonly fields: readonly string[];
}

export function serverInfo(): Promise<ServerInfo> {
  return getJson<ServerInfo>("/info", {});
}

export interface Lease {
  readonly lease: string;
  readonly namespace: string | null;
}

export function leasesOf(query: string, signal?: AbortSignal): Promise<Lease[]> {
  return getJson<{ leases: Lease[] }>("/leases", { q: query }, signal).then((r) => r.leases);
}

export interface RevokeSummary {
  readonly revoked: number;
  readonly alreadyGone: number;
  readonly stillLive: number;
  readonly failed: number;
}

/** Revokes the query's leases; `confirmCount` must equal the number the dry run listed. */
export function revoke(query: string, confirmCount: number): Promise<RevokeSummary> {
  return postJson<RevokeSummary>("/revoke", { q: query, confirm: confirmCount, verify: true });
}
