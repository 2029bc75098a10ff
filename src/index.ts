// The public library API (`import { openIndex } from "breakglass"`): the same index, query and
// revoke functions as the CLI, typed. Re-exports only; no logic here.
export { openIndex, type BreakglassIndex, type OpenIndexOptions } from "./index-api.js";
export { indexFiles, type IndexOptions, type IndexSummary } from "./ingest/index-files.js";
export { parseQuery } from "./query/parse-query.js";
export type { Query, Expr, Stage } from "./query/ast.js";
export type { MatchedRecord } from "./query/matched-record.js";
export { auditHmac } from "./audit/audit-hmac.js";
export {
  revokeLeases,
  type LeaseTarget,
  type RevokeOptions,
  type RevokeSummary,
} from "./vault/revoke-leases.js";
export { resolveAuditHash, resolveAuditHashes } from "./vault/audit-hash.js";
export {
  BreakglassError,
  ExitCode,
  InputError,
  QueryError,
  UsageError,
  VaultError,
} from "./errors.js";
export type { IndexStats } from "./store/index-stats.js";
