// The endpoints that answer without running a query: the server's state, stats (of the index or
// of ClickHouse), the field catalog, completion (the shell's completer) and the audit HMAC of
// plaintexts (`hash`).
import type { FastifyInstance } from "fastify";
import { FIELDS } from "../audit/field-catalog.js";
import { completeQuery, OPERATORS } from "../cli/shell-completer.js";
import { STAGE_NAMES } from "../query/tokens.js";
import { resolveAuditHashes } from "../vault/audit-hash.js";
import { HttpError } from "./http-errors.js";
import { OPENAPI_DOCUMENT } from "./openapi.js";
import { flag, optionalString, paramsOf, wholeNumber } from "./request-params.js";
import type { ServeContext } from "./serve-context.js";

/** Plaintexts one `hash` request may ask for (each may be a round trip to Vault). */
export const MAX_HASH_PLAINTEXTS = 1_000;

export const SERVER_VERSION = "0.1.0";

export function registerInfoRoutes(app: FastifyInstance, ctx: ServeContext): void {
  app.get("/api/v1/openapi.json", async () => OPENAPI_DOCUMENT);

  app.get("/api/v1/server", async () => {
    const { records, generation } = await ctx.snapshots.summary();
    return {
      version: SERVER_VERSION,
      allowRevoke: ctx.allowRevoke,
      backend: ctx.snapshots.backend,
      records,
      generation,
      queries: { ...ctx.slots.counts(), ...ctx.activity },
    };
  });

  app.get("/api/v1/stats", async (req) => {
    const badLines = flag(paramsOf(req), "badLines");
    return ctx.snapshots.stats({ badLines });
  });

  app.get("/api/v1/fields", async () => ({
    fields: FIELDS.map((f) => ({
      name: f.name,
      kind: f.kind,
      paths: f.paths,
      description: f.description,
    })),
    stages: STAGE_NAMES,
    operators: OPERATORS,
  }));

  app.route({
    method: ["GET", "POST"],
    url: "/api/v1/complete",
    handler: async (req) => {
      const p = paramsOf(req);
      const q = optionalString(p, "q") ?? "";
      const pos = Math.min(wholeNumber(p, "pos") ?? q.length, q.length);
      const [candidates, partial] = completeQuery(q.slice(0, pos));
      return { candidates, partial, from: pos - partial.length, to: pos };
    },
  });

  app.post("/api/v1/hash", async (req) => {
    const p = paramsOf(req);
    const plaintexts = p.plaintexts;
    if (
      !Array.isArray(plaintexts) ||
      plaintexts.length === 0 ||
      !plaintexts.every((x) => typeof x === "string")
    ) {
      throw new HttpError(400, "plaintexts must be a non-empty list of strings");
    }
    if (plaintexts.length > MAX_HASH_PLAINTEXTS) {
      throw new HttpError(413, `at most ${MAX_HASH_PLAINTEXTS} plaintexts a request`);
    }
    const salt = optionalString(p, "salt") ?? ctx.hash.salt;
    const hashes = await resolveAuditHashes(plaintexts as string[], {
      ...(salt !== undefined ? { salt } : {}),
      ...(ctx.hash.auditDevice !== undefined ? { device: ctx.hash.auditDevice } : {}),
    });
    return { hashes };
  });
}
