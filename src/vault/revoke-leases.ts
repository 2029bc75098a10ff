// Hands findings to Vault: revokes each target (a lease id, a prefix, or a token accessor) in the
// namespace its audit entry recorded unless VAULT_NAMESPACE / --namespace overrides it, with
// bounded concurrency and retries (exponential backoff, full jitter) on 429, 5xx and network
// errors. Every outcome (revoked, already_gone, failed + reason) is written to the journal before
// it is counted, and a target the journal already has as done is skipped.
// Vault answers 204 even for a lease it does not know, so only `verify` can tell "revoked" from
// "already gone": it asks sys/leases/lookup before (400 "invalid lease" = already gone) and after
// (still found = failed). Fatal, stop-everything conditions: Vault is sealed, Vault cannot be
// reached after all retries, every call so far was permission denied. They throw
// RevokeStoppedError (exit 4) carrying the partial summary; targets not finished are not
// journaled, so a rerun picks them up.
// A prefix goes into the URL path and a namespace into X-Vault-Namespace only after
// vault-api-path.ts has checked them: a target it refuses stops the run (UsageError) before
// anything is sent for it.
import { VaultError } from "../errors.js";
import type { RevokeJournal } from "./revoke-journal.js";
import { quoteValue, vaultApiPath, vaultNamespace, type VaultApiPath } from "./vault-api-path.js";
import { VaultRequestError, type HttpMethod, type VaultClient } from "./vault-client.js";

export interface LeaseTarget {
  leaseId: string;
  /** The namespace path the lease's audit entry recorded ("ns1/"); root when absent or "". */
  namespace?: string;
}

/** revoke: sys/leases/revoke; prefix: revoke-prefix/<id>; force: revoke-force/<id>;
 * accessor: the id is a token accessor for auth/token/revoke-accessor. */
export type RevokeMode = "revoke" | "prefix" | "force" | "accessor";
export type RevokeOutcomeKind = "revoked" | "already_gone" | "failed";

export interface RevokeOutcome {
  leaseId: string;
  /** The namespace the calls went to, "" for root. */
  namespace: string;
  outcome: RevokeOutcomeKind;
  reason?: string;
  /** HTTP calls made for this target, retries included. */
  attempts: number;
}

export interface RevokeSummary {
  revoked: number;
  alreadyGone: number;
  failed: number;
  /** Done in an earlier run, per the journal. */
  skipped: number;
  /** Repeats of a target already seen in this run (sent once). */
  duplicates: number;
  /** Distinct targets seen, skipped ones included. */
  total: number;
  seconds: number;
  /** The failed outcomes, in the order they happened (at most MAX_FAILURES_KEPT). */
  failures: RevokeOutcome[];
}

/**
 * A run's summary as JSON, as `revoke --json` prints it and `serve`'s revoke route streams it:
 * the counts, where it went, and each failure as `failure` writes it.
 */
export function revokeSummaryJson(
  s: RevokeSummary,
  addr: string,
  journal: string,
  failure: (o: RevokeOutcome) => object,
  stopped?: string,
): object {
  return {
    revoked: s.revoked,
    alreadyGone: s.alreadyGone,
    failed: s.failed,
    skipped: s.skipped,
    duplicates: s.duplicates,
    total: s.total,
    seconds: Number(s.seconds.toFixed(3)),
    addr,
    journal,
    ...(stopped ? { stopped } : {}),
    failures: s.failures.map(failure),
  };
}

export interface RevokeOptions {
  client: VaultClient;
  mode?: RevokeMode;
  /** Requests in flight at once (default 8, as the README says). */
  concurrency?: number;
  verify?: boolean;
  /** Overrides every target's namespace; default: the client's VAULT_NAMESPACE, if any. */
  namespace?: string;
  journal?: RevokeJournal;
  /** Calls per request before giving up, first included (default 8, or VAULT_MAX_RETRIES + 1). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** For tests: the jitter source. */
  random?: () => number;
  onOutcome?: (outcome: RevokeOutcome) => void;
  onSkip?: (target: LeaseTarget) => void;
  /** Aborting stops launching new targets; in-flight ones finish and are journaled. */
  signal?: AbortSignal;
}

export const DEFAULT_CONCURRENCY = 8;
/** 8 attempts: with 20% of calls failing transiently, P(a lease fails) = 0.2^8 ≈ 3e-6. */
export const DEFAULT_MAX_ATTEMPTS = 8;
const DEFAULT_BASE_DELAY_MS = 50;
const DEFAULT_MAX_DELAY_MS = 5_000;
/** Stop once this many calls were denied and none succeeded: the token cannot do this. */
const ALL_DENIED_STOP_AFTER = 16;
const MAX_FAILURES_KEPT = 1_000;
/** Outcomes waiting for their journal line; bounds memory and what a crash can make us resend. */
const MAX_UNRECORDED = 256;

/** Stopped before the end (sealed, unreachable, every call denied); `summary` is what got done. */
export class RevokeStoppedError extends VaultError {
  readonly summary: RevokeSummary;
  constructor(cause: VaultError, summary: RevokeSummary, hint?: string) {
    const done = `revoked ${summary.revoked}, already gone ${summary.alreadyGone}, failed ${summary.failed}`;
    super(`${cause.message}; stopped (${done})`, cause.status, hint ?? cause.hint);
    this.summary = summary;
  }
}

/** The one call that revokes a target (before any --verify lookups), as it goes on the wire. */
export interface RevokeRequest {
  method: HttpMethod;
  path: VaultApiPath;
  body?: Record<string, string>;
}

export interface TargetContext {
  /** Where the target came from, for messages: "stdin line 3", "--prefix". */
  where?: string | undefined;
  /** Scrubs the token out of messages (VaultClient.redact). */
  redact?: ((text: string) => string) | undefined;
}

const LEASES_REVOKE = vaultApiPath("sys/leases/revoke");
const LEASES_LOOKUP = vaultApiPath("sys/leases/lookup");
const REVOKE_ACCESSOR = vaultApiPath("auth/token/revoke-accessor");

/** The request that revokes `id` in `mode`. A prefix is checked here (UsageError if unsafe);
 * lease ids and accessors travel in the JSON body, never in the path. */
export function revokeRequestOf(
  mode: RevokeMode,
  id: string,
  context: TargetContext = {},
): RevokeRequest {
  switch (mode) {
    case "revoke":
      return { method: "PUT", path: LEASES_REVOKE, body: { lease_id: id } };
    case "prefix":
    case "force": {
      const endpoint = mode === "prefix" ? "sys/leases/revoke-prefix" : "sys/leases/revoke-force";
      const value = { name: "lease prefix", value: id, keepTrailingSlash: true, ...context };
      return { method: "PUT", path: vaultApiPath(endpoint, value) };
    }
    case "accessor":
      return { method: "POST", path: REVOKE_ACCESSOR, body: { accessor: id } };
    default: {
      const never: never = mode;
      throw new Error(`unknown revoke mode ${String(never)}`);
    }
  }
}

/** The namespace a target's calls go to ("" for root): the override, else its own; checked. */
export function targetNamespace(
  target: LeaseTarget,
  override: string | undefined,
  context: TargetContext = {},
): string {
  const fromTarget = override === undefined;
  return vaultNamespace({
    name: fromTarget ? `namespace of ${quoteValue(target.leaseId)}` : "namespace",
    value: (fromTarget ? target.namespace : override) ?? "",
    ...context,
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Fatal conditions unwind through here so that they are never recorded as a lease's failure. */
class Fatal extends Error {
  readonly reason: VaultError;
  constructor(reason: VaultError) {
    super(reason.message);
    this.reason = reason;
  }
}

export async function revokeLeases(
  targets: AsyncIterable<LeaseTarget> | Iterable<LeaseTarget>,
  opts: RevokeOptions,
): Promise<RevokeSummary> {
  const started = performance.now();
  const { client, journal } = opts;
  const mode = opts.mode ?? "revoke";
  const concurrency = Math.max(1, opts.concurrency ?? DEFAULT_CONCURRENCY);
  const maxAttempts = Math.max(
    1,
    opts.maxAttempts ?? client.config.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  );
  const baseDelayMs = opts.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const maxDelayMs = opts.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const random = opts.random ?? Math.random;
  const override = opts.namespace ?? client.config.namespace;
  if (opts.verify && mode !== "revoke") {
    throw new VaultError(`verify works on lease ids, not with mode ${mode}`);
  }

  const summary: RevokeSummary = {
    revoked: 0,
    alreadyGone: 0,
    failed: 0,
    skipped: 0,
    duplicates: 0,
    total: 0,
    seconds: 0,
    failures: [],
  };
  let fatal: VaultError | undefined;
  let denied = 0;
  let succeeded = 0;

  /** One HTTP call with retries; returns the response or throws the last error. */
  async function call<T>(fn: () => Promise<T>, counter: { attempts: number }): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (fatal) throw new Fatal(fatal);
      counter.attempts++;
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof VaultRequestError)) throw err;
        if (err.kind === "sealed") throw new Fatal(err);
        if (!err.retryable || attempt >= maxAttempts) {
          if (err.kind === "unreachable") throw new Fatal(err);
          throw err;
        }
        const capMs = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
        const jitterMs = random() * capMs;
        await sleep(Math.min(maxDelayMs, Math.max(jitterMs, err.retryAfterMs ?? 0)));
      }
    }
  }

  /** sys/leases/lookup: true while Vault knows the lease, false once it answers "invalid lease". */
  async function isLive(leaseId: string, namespace: string, counter: { attempts: number }) {
    const res = await call(
      () =>
        client.request("PUT", LEASES_LOOKUP, {
          body: { lease_id: leaseId },
          namespace,
          acceptStatus: [400],
        }),
      counter,
    );
    if (res.status !== 400) return true;
    if (res.errors.some((e) => /invalid lease/i.test(e))) return false;
    throw new VaultRequestError(
      "bad_request",
      client.redact(`Vault rejected the lookup of ${leaseId} (400: ${res.errors.join("; ")})`),
      { status: 400, errors: res.errors },
    );
  }

  async function revokeOne(
    leaseId: string,
    request: RevokeRequest,
    namespace: string,
    counter: { attempts: number },
  ): Promise<{ outcome: RevokeOutcomeKind; reason?: string }> {
    const send = (acceptStatus?: number[]) =>
      call(
        () =>
          client.request(request.method, request.path, {
            ...(request.body === undefined ? {} : { body: request.body }),
            namespace,
            ...(acceptStatus === undefined ? {} : { acceptStatus }),
          }),
        counter,
      );
    switch (mode) {
      case "revoke": {
        if (opts.verify && !(await isLive(leaseId, namespace, counter))) {
          return { outcome: "already_gone" };
        }
        await send();
        if (opts.verify && (await isLive(leaseId, namespace, counter))) {
          return { outcome: "failed", reason: "still live after revoke (lookup found it)" };
        }
        return { outcome: "revoked" };
      }
      case "prefix":
      case "force":
        await send();
        return { outcome: "revoked" };
      case "accessor": {
        // Vault ≥ 1.10 answers 204 for an unknown accessor; older versions 400 "invalid accessor".
        const res = await send([400]);
        if (res.status !== 400) return { outcome: "revoked" };
        if (res.errors.some((e) => /invalid accessor/i.test(e))) return { outcome: "already_gone" };
        return {
          outcome: "failed",
          reason: `Vault rejected the accessor (400: ${res.errors.join("; ")})`,
        };
      }
      default: {
        const never: never = mode;
        throw new Error(`unknown revoke mode ${String(never)}`);
      }
    }
  }

  /** The HTTP part of one target; returns the outcome to record, or undefined when a fatal
   * condition stopped it (then nothing is recorded and a rerun retries it). */
  async function attempt(
    target: LeaseTarget,
    request: RevokeRequest,
    namespace: string,
  ): Promise<RevokeOutcome | undefined> {
    const counter = { attempts: 0 };
    let result: { outcome: RevokeOutcomeKind; reason?: string };
    try {
      result = await revokeOne(target.leaseId, request, namespace, counter);
    } catch (err) {
      if (err instanceof Fatal) {
        fatal ??= err.reason;
        return undefined;
      }
      if (!(err instanceof VaultRequestError)) throw err;
      if (err.kind === "denied") denied++;
      result = { outcome: "failed", reason: err.message };
    }
    return {
      leaseId: target.leaseId,
      namespace,
      outcome: result.outcome,
      ...(result.reason === undefined ? {} : { reason: result.reason }),
      attempts: counter.attempts,
    };
  }

  /** Journals the outcome, then (only then) counts it. */
  async function record(outcome: RevokeOutcome): Promise<void> {
    await journal?.append({ time: new Date().toISOString(), mode, ...outcome });
    if (outcome.outcome === "revoked") summary.revoked++;
    else if (outcome.outcome === "already_gone") summary.alreadyGone++;
    else {
      summary.failed++;
      if (summary.failures.length < MAX_FAILURES_KEPT) summary.failures.push(outcome);
    }
    if (outcome.outcome !== "failed") succeeded++;
    opts.onOutcome?.(outcome);
    if (!fatal && succeeded === 0 && denied >= ALL_DENIED_STOP_AFTER) {
      fatal = new VaultError(
        `permission denied: Vault refused all ${denied} calls so far`,
        403,
        `the token (from ${client.config.tokenSource ?? "nowhere: no token found"}) needs a policy that allows this path`,
      );
    }
  }

  const seen = new Set<string>();
  // HTTP slots (`inflight`, at most `concurrency`) are freed when Vault answers; journaling runs
  // behind them (`recording`), so one fsync covers many outcomes instead of at most
  // `concurrency` (10,000 leases, fsync on ext4: 4.2 s → see bench/revoke-bench.ts).
  const inflight = new Set<Promise<void>>();
  const recording = new Set<Promise<void>>();
  // An unexpected error, or a target refused by vault-api-path.ts: ends the run once the calls in
  // flight are done and journaled.
  let bug: unknown;
  const track = (set: Set<Promise<void>>, work: Promise<void>): void => {
    const p: Promise<void> = work
      .catch((err: unknown) => {
        bug ??= err;
      })
      .finally(() => set.delete(p));
    set.add(p);
  };
  for await (const target of targets) {
    if (fatal || bug !== undefined || opts.signal?.aborted) break;
    let namespace: string;
    let request: RevokeRequest;
    try {
      namespace = targetNamespace(target, override, { redact: client.redact });
      request = revokeRequestOf(mode, target.leaseId, { redact: client.redact });
    } catch (err) {
      bug = err;
      break;
    }
    const key = `${namespace}\u0000${target.leaseId}`;
    if (seen.has(key)) {
      summary.duplicates++;
      continue;
    }
    seen.add(key);
    summary.total++;
    if (journal?.isDone(mode, namespace, target.leaseId)) {
      summary.skipped++;
      opts.onSkip?.(target);
      continue;
    }
    track(
      inflight,
      attempt(target, request, namespace).then((outcome) => {
        if (outcome) track(recording, record(outcome));
      }),
    );
    if (inflight.size >= concurrency) await Promise.race(inflight);
    if (recording.size >= MAX_UNRECORDED) await Promise.race(recording);
  }
  await Promise.all(inflight);
  await Promise.all(recording);
  summary.seconds = (performance.now() - started) / 1000;
  if (bug !== undefined) throw bug;
  if (fatal) throw new RevokeStoppedError(fatal, summary);
  return summary;
}
