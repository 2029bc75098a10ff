// Lines of a mixed stream that are not audit entries but a server's own log (Vault's and
// OpenBao's hclog output, as JSON or text): counted as skipped, never as bad lines. Pure; safe in
// workers; called only for lines that are not audit entries.
//
//   {"@level":"info","@message":"enabled audit backend","@timestamp":"…","type":"file"}
//   2026-11-29T10:00:00.000Z [INFO]  core: enabled audit backend: path=file/
//   ==> Vault server configuration:

const HCLOG_TEXT = /^\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)\s+\[[A-Z]+\]/;
const BANNER = /^(?:==> |\s+[A-Z][A-Za-z ]+: )/;

/** True for a server log line in text form. */
export function isServerLogText(line: string): boolean {
  return HCLOG_TEXT.test(line) || BANNER.test(line);
}

/**
 * True for a JSON object that is some other program's log record: hclog's JSON (`@level`,
 * `@message`), or an object with a string `type` but none of an entry's request, response, auth.
 */
export function isServerLogObject(value: unknown): boolean {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const o = value as Record<string, unknown>;
  if ("@level" in o || "@message" in o) return true;
  return typeof o.type === "string" && o.type !== "";
}
