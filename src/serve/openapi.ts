// The OpenAPI 3.1 document of the HTTP API, served at /api/v1/openapi.json (docs/http-api.md is
// the same contract in prose). Plain data; the route tests check that every route is in it.
const q = {
  name: "q",
  in: "query",
  required: true,
  schema: { type: "string" },
  description: "the query, in the query language (README: the query language)",
};
const error = { $ref: "#/components/responses/Error" };
const json = (schema: object): object => ({ content: { "application/json": { schema } } });

export const OPENAPI_DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "breakglass",
    version: "1",
    description:
      "Queries over an index of Vault audit logs, and revocation of the leases they find. " +
      "Every request needs the access token: `Authorization: Bearer TOKEN`, or the cookie the " +
      "start URL (`/?token=TOKEN`) sets. POST endpoints take the same parameters as a JSON body.",
  },
  components: {
    securitySchemes: {
      bearer: { type: "http", scheme: "bearer" },
      cookie: { type: "apiKey", in: "cookie", name: "breakglass_token_PORT" },
    },
    schemas: {
      Error: {
        type: "object",
        required: ["error"],
        properties: {
          error: {
            type: "object",
            required: ["status", "kind", "message"],
            properties: {
              status: { type: "integer" },
              kind: {
                enum: ["query", "usage", "index", "backend", "vault", "refused", "internal"],
              },
              message: { type: "string" },
              hint: { type: "string" },
              offset: {
                type: "integer",
                description: "query errors: offset in the query text, from 0",
              },
              line: { type: "integer" },
              column: { type: "integer" },
              rendered: { type: "string", description: "query errors: the CLI's caret picture" },
            },
          },
        },
      },
    },
    responses: {
      Error: {
        description:
          "an error (400 query or parameter, 401 token, 403 Host/Origin or revoke off, 409, 413 too large, 429 too busy, 502 ClickHouse failed, 503 ClickHouse unreachable, 5xx)",
        ...json({ $ref: "#/components/schemas/Error" }),
      },
    },
  },
  security: [{ bearer: [] }, { cookie: [] }],
  paths: {
    "/api/v1/query": {
      get: {
        summary: "run a query; results streamed as NDJSON (or CSV)",
        parameters: [
          q,
          {
            name: "limit",
            in: "query",
            schema: { type: "integer", minimum: 1, maximum: 100000, default: 1000 },
          },
          {
            name: "cursor",
            in: "query",
            schema: { type: "string" },
            description: "the `next` of the previous page's trailer",
          },
          { name: "format", in: "query", schema: { enum: ["ndjson", "csv"], default: "ndjson" } },
          {
            name: "download",
            in: "query",
            schema: { type: "boolean" },
            description: "as an attachment, without the trailer line",
          },
        ],
        responses: {
          "200": {
            description:
              'one line per result: a record\'s original JSON, or a stage row ({"path":…,"count":N}); ' +
              'then a trailer line {"@breakglass":{"rows":N,"next":CURSOR|null,"error"?:…}}',
            content: { "application/x-ndjson": {}, "text/csv": {} },
          },
          "400": error,
          "413": error,
          "429": error,
        },
      },
      post: {
        summary: "the same, parameters in a JSON body",
        responses: { "200": { description: "as GET" }, "400": error },
      },
    },
    "/api/v1/explain": {
      get: {
        summary: "the query's plan; with analyze=true it runs and shows actual sizes",
        parameters: [q, { name: "analyze", in: "query", schema: { type: "boolean" } }],
        responses: {
          "200": json({
            type: "object",
            properties: {
              query: { type: "string" },
              analyzed: { type: "boolean" },
              rows: { type: "integer" },
              plan: { type: "string" },
            },
          }),
          "400": error,
        },
      },
    },
    "/api/v1/timeline": {
      get: {
        summary:
          "how many matches of the query's filter (its stages left out) fall in each interval",
        parameters: [
          q,
          {
            name: "interval",
            in: "query",
            schema: { type: "string", pattern: "^[1-9][0-9]*[smhdw]$" },
          },
        ],
        responses: {
          "200": json({
            type: "object",
            properties: {
              query: { type: "string" },
              intervalMs: { type: ["integer", "null"] },
              total: { type: "integer" },
              buckets: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    time: { type: "string" },
                    startMs: { type: "integer" },
                    count: { type: "integer" },
                  },
                },
              },
            },
          }),
          "400": error,
        },
      },
    },
    "/api/v1/facets": {
      get: {
        summary:
          "the top values of catalog fields over the matches of the query's filter (its stages left out)",
        parameters: [
          q,
          {
            name: "fields",
            in: "query",
            schema: { type: "string" },
            description:
              "comma-separated catalog fields; default ip,path,op,display_name,role,outcome,namespace",
          },
          { name: "n", in: "query", schema: { type: "integer", default: 10, maximum: 100 } },
        ],
        responses: {
          "200": json({
            type: "object",
            properties: {
              query: { type: "string" },
              fields: {
                type: "object",
                additionalProperties: {
                  type: "array",
                  items: { type: "object", properties: { value: {}, count: { type: "integer" } } },
                },
              },
            },
          }),
          "400": error,
        },
      },
    },
    "/api/v1/leases": {
      get: {
        summary: "the leases the query's matches issued (`QUERY | leases`), with their namespaces",
        parameters: [q],
        responses: {
          "200": json({
            type: "object",
            properties: {
              query: { type: "string" },
              count: { type: "integer" },
              leases: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    lease: { type: "string" },
                    namespace: { type: ["string", "null"] },
                  },
                },
              },
            },
          }),
          "400": error,
          "413": error,
        },
      },
    },
    "/api/v1/revoke": {
      post: {
        summary: "revoke the query's leases (only with --allow-revoke)",
        requestBody: json({
          type: "object",
          required: ["q"],
          properties: {
            q: { type: "string" },
            dryRun: { type: "boolean" },
            expectedCount: {
              type: "integer",
              description: "required unless dryRun: the count the dry run gave",
            },
            verify: { type: "boolean" },
          },
        }),
        responses: {
          "200": {
            description:
              "dry run: JSON {dryRun, addr, count, skipped, plan[]}; else NDJSON lines {outcome} … then {summary} (or {error, summary?})",
            content: { "application/json": {}, "application/x-ndjson": {} },
          },
          "400": error,
          "403": error,
          "409": error,
        },
      },
    },
    "/api/v1/stats": {
      get: {
        summary: "what is indexed (as `breakglass stats --json`)",
        parameters: [{ name: "badLines", in: "query", schema: { type: "boolean" } }],
        responses: { "200": json({ type: "object" }) },
      },
    },
    "/api/v1/fields": {
      get: {
        summary: "the field catalog, stage names and operators",
        responses: { "200": json({ type: "object" }) },
      },
    },
    "/api/v1/complete": {
      get: {
        summary: "what may be typed at a position in a query (the shell's completer)",
        parameters: [
          { ...q, required: false },
          { name: "pos", in: "query", schema: { type: "integer" } },
        ],
        responses: {
          "200": json({
            type: "object",
            properties: {
              candidates: { type: "array", items: { type: "string" } },
              partial: { type: "string" },
              from: { type: "integer" },
              to: { type: "integer" },
            },
          }),
        },
      },
    },
    "/api/v1/hash": {
      post: {
        summary: "the audit HMAC of plaintexts (the server's salt, else Vault's sys/audit-hash)",
        requestBody: json({
          type: "object",
          required: ["plaintexts"],
          properties: {
            plaintexts: { type: "array", items: { type: "string" } },
            salt: { type: "string" },
          },
        }),
        responses: {
          "200": json({
            type: "object",
            properties: { hashes: { type: "array", items: { type: "string" } } },
          }),
          "400": error,
        },
      },
    },
    "/api/v1/server": {
      get: {
        summary:
          "the server: version, allowRevoke, backend (`local` or the ClickHouse URL without " +
          "password), records, generation (null on ClickHouse), query slots and counters",
        responses: { "200": json({ type: "object" }) },
      },
    },
    "/api/v1/openapi.json": {
      get: { summary: "this document", responses: { "200": json({ type: "object" }) } },
    },
  },
} as const;
