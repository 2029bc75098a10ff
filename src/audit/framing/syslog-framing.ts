// Syslog framing: where the message starts in a syslog line, or -1 when the line is not one.
// Pure; safe in workers. Cost: one anchored regular expression a line.
//
// Accepted headers (the message, here a JSON audit entry, follows):
//   RFC 3164, with or without <PRI>:  `<13>Nov 29 10:00:00 vault-0 vault[1234]: `, `… vault: `
//   rsyslog high precision:           `2026-11-29T10:00:00.123456+00:00 vault-0 vault: `
//   RFC 5424:                         `<165>1 2026-11-29T10:00:00.1Z vault-0 vault 1234 - - `
// (RFC 5424's structured data is `-` or one or more `[id param="value"…]` elements.)

const PRI = String.raw`(?:<\d{1,3}>)?`;
const TAG = String.raw`[^\s:\[\]]+(?:\[[^\]\s]*\])?: `;
const BSD_TIME = String.raw`[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?`;
const ISO_TIME = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)`;
const SD_ELEMENT = String.raw`\[(?:[^\]"\\]|\\.|"(?:[^"\\]|\\.)*")*\]`;

const RFC3164 = new RegExp(String.raw`^${PRI}(?:${BSD_TIME}|${ISO_TIME}) \S+ ${TAG}`);
const RFC5424 = new RegExp(
  String.raw`^<\d{1,3}>\d{1,2} \S+ \S+ \S+ \S+ \S+ (?:-|(?:${SD_ELEMENT})+) (?:\uFEFF)?`,
);

/** Offset of the message in a syslog line, or -1 when the line has no syslog header. */
export function syslogMessageStart(line: string): number {
  const c = line.charCodeAt(0);
  // Every header starts with `<`, a digit (ISO time) or a capital (month name).
  if (c !== 60 && !(c >= 48 && c <= 57) && !(c >= 65 && c <= 90)) return -1;
  const m = (c === 60 ? RFC5424.exec(line) : null) ?? RFC3164.exec(line);
  return m === null ? -1 : m[0].length;
}
