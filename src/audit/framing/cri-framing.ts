// CRI framing (containerd, CRI-O: /var/log/pods/…): `<RFC 3339 time> <stream> <P|F> <text>`.
// A `P` line is a part of a longer line and continues on the next of the same container log;
// the `F` line ends it. Pure; safe in workers.

const CRI = /^\d{4}-\d\d-\d\dT\S+ (?:stdout|stderr) ([PF]) /;

/** Where the text starts in a CRI line (-1 when it is not one), and whether it is a partial. */
export function criFrame(line: string): { start: number; partial: boolean } | undefined {
  const c = line.charCodeAt(0);
  if (c < 48 || c > 57) return undefined;
  const m = CRI.exec(line);
  if (m === null) return undefined;
  return { start: m[0].length, partial: m[1] === "P" };
}
