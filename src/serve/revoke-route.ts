// POST /api/v1/revoke: the leases of a query, revoked through the same revoker, journal and
// namespaces as `breakglass revoke --query` (vault/revoke-leases.ts, vault/revoke-journal.ts).
// Only when the server was started with --allow-revoke (else 403). Vault is reached from the
// server's environment as the CLI reaches it (VAULT_ADDR, VAULT_TOKEN or ~/.vault-token, …); the
// token never leaves the server: every message is scrubbed of it.
// A dry run lists the plan; a real run needs `expectedCount`, the number of leases to revoke
// the dry run showed: if the query now finds another number, nothing is sent (409). The run
// streams NDJSON: `{"start":…}`, one `{"outcome":…}` line per lease as Vault answers, then
// `{"summary":…}`.
// It runs to its end even if the client goes away (the journal has every outcome); one revoke
// runs at a time.
import type { FastifyInstance } from "fastify";
import { UsageError } from "../errors.js";
import { readJournal, RevokeJournal } from "../vault/revoke-journal.js";
import {
  revokeLeases,
  revokeRequestOf,
  RevokeStoppedError,
  targetNamespace,
  type LeaseTarget,
  revokeSummaryJson,
  type RevokeOutcome,
} from "../vault/revoke-leases.js";
import { requestLine } from "../vault/vault-api-path.js";
import { VaultClient } from "../vault/vault-client.js";
import { redactToken, resolveVaultConfig } from "../vault/vault-config.js";
import { errorBody, HttpError } from "./http-errors.js";
import { leasesQuery } from "./query-routes.js";
import { flag, MAX_PAGE_ROWS, paramsOf, queryText, wholeNumber } from "./request-params.js";
import type { ServeContext } from "./serve-context.js";
import { runQuery } from "../query/run-query.js";

/** Requests in flight to Vault at once (the CLI's default). */
export const REVOKE_CONCURRENCY = 8;

async function queryTargets(ctx: ServeContext, q: string): Promise<LeaseTarget[]> {
  const release = await ctx.slots.acquire(new AbortController().signal);
  try {
    return await ctx.snapshots.with(async ({ engine }) => {
      const run = await runQuery(engine, leasesQuery(q), { limit: MAX_PAGE_ROWS + 1 });
      const targets: LeaseTarget[] = [];
      for await (const item of run.items) {
        if (item.kind !== "lease") continue;
        ctx.activity.rowsPulled++;
        targets.push(
          item.namespace === null
            ? { leaseId: item.lease }
            : { leaseId: item.lease, namespace: item.namespace },
        );
      }
      if (targets.length > MAX_PAGE_ROWS) {
        throw new HttpError(
          413,
          `the query finds more than ${MAX_PAGE_ROWS} leases`,
          "revoke them with the CLI",
        );
      }
      return targets;
    });
  } finally {
    release();
    ctx.activity.served++;
  }
}

function outcomeJson(o: RevokeOutcome, scrub: (s: string) => string): object {
  return {
    leaseId: o.leaseId,
    namespace: o.namespace,
    outcome: o.outcome,
    ...(o.reason === undefined ? {} : { reason: scrub(o.reason) }),
  };
}

export function registerRevokeRoute(app: FastifyInstance, ctx: ServeContext): void {
  let running = false;
  app.post("/api/v1/revoke", async (req, reply) => {
    if (!ctx.allowRevoke) {
      throw new HttpError(
        403,
        "revoking is off on this server",
        "start it with `breakglass serve --allow-revoke`",
      );
    }
    const p = paramsOf(req);
    const q = queryText(p);
    const dryRun = flag(p, "dryRun");
    const verify = flag(p, "verify");
    const expected = wholeNumber(p, "expectedCount");
    if (!dryRun && expected === undefined) {
      throw new HttpError(
        400,
        "expectedCount is required to revoke: the number of leases the dry run listed",
        "send dryRun: true first",
      );
    }
    if (running) throw new HttpError(409, "a revoke is already running on this server");
    running = true;
    try {
      const config = await resolveVaultConfig(process.env);
      const scrub = (text: string): string => redactToken(text, config.token);
      const targets = await queryTargets(ctx, q);
      const planned = targets.map((target) => {
        const context = { where: "the query", redact: scrub };
        return {
          target,
          namespace: targetNamespace(target, config.namespace, context),
          request: revokeRequestOf("revoke", target.leaseId, context),
        };
      });
      const view = await readJournal(ctx.journalFile);
      const todo = planned.filter((x) => !view.isDone("revoke", x.namespace, x.target.leaseId));
      const skipped = planned.length - todo.length;
      if (dryRun) {
        return {
          dryRun: true,
          addr: config.addr,
          count: todo.length,
          skipped,
          plan: planned.map((x) => ({
            action: view.isDone("revoke", x.namespace, x.target.leaseId) ? "skip" : "revoke",
            request: requestLine(x.request.method, x.request.path),
            namespace: x.namespace,
            leaseId: x.target.leaseId,
          })),
        };
      }
      if (expected !== todo.length) {
        throw new HttpError(
          409,
          `the query now finds ${todo.length} leases to revoke, not ${expected}; nothing was sent`,
          "run the dry run again and confirm its count",
        );
      }
      if (todo.length > 0 && !config.token) {
        throw new UsageError(
          "no Vault token in the server's environment: set VAULT_TOKEN (or ~/.vault-token) where `breakglass serve` runs",
          "the token is never accepted from the page",
        );
      }
      const client = new VaultClient(config, { maxSockets: REVOKE_CONCURRENCY });
      const journal = await RevokeJournal.open(ctx.journalFile);
      reply.hijack();
      reply.raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        "content-type": "application/x-ndjson; charset=utf-8",
        "cache-control": "no-store",
      });
      const line = (doc: object): void => {
        if (!reply.raw.destroyed) reply.raw.write(JSON.stringify(doc) + "\n");
      };
      line({ start: { count: todo.length, skipped, addr: config.addr } });
      try {
        const summary = await revokeLeases(targets, {
          client,
          mode: "revoke",
          concurrency: REVOKE_CONCURRENCY,
          verify,
          journal,
          onOutcome: (o) => line({ outcome: outcomeJson(o, scrub) }),
        });
        line({
          summary: revokeSummaryJson(summary, config.addr, journal.file, (f) =>
            outcomeJson(f, scrub),
          ),
        });
      } catch (err) {
        const summary = err instanceof RevokeStoppedError ? err.summary : undefined;
        const body = errorBody(err).error;
        line({
          error: { ...body, message: scrub(body.message) },
          ...(summary
            ? {
                summary: revokeSummaryJson(summary, config.addr, journal.file, (f) =>
                  outcomeJson(f, scrub),
                ),
              }
            : {}),
        });
      } finally {
        await journal.close();
        client.close();
        reply.raw.end();
      }
      return reply;
    } finally {
      running = false;
    }
  });
}
