// Vault's device `prefix` (or any short plain text) before the first `{` of a line. Pure; safe in
// workers. Such a record is stored without the prefix (as the index always stored it).

const OPEN_BRACE = 123;
/** Longer text before `{` is not taken for a prefix. */
const MAX_PREFIX_CHARS = 256;

/** Offset of the `{` after a detected prefix, or -1 when the line has none. */
export function detectedPrefixEnd(line: string): number {
  const brace = line.indexOf("{");
  if (brace <= 0 || brace > MAX_PREFIX_CHARS) return -1;
  // A prefix is plain text: `[`, quotes or control characters mean the line is JSON (an array,
  // say) or garbage, to be reported as it is.
  if (/[\u0000-\u001f[\]{}"]/.test(line.slice(0, brace))) return -1;
  return line.charCodeAt(brace) === OPEN_BRACE ? brace : -1;
}
