// How does a list of results look as markdown? One row per metric: our value, the baseline it is
// compared with, the ratio, the target from the issues and whether it was met. Also the number
// formats every report uses (1 MB = 10^6 bytes for throughput; MiB/GiB for sizes).

export type Verdict = "met" | "not met" | "not measured" | "";

export interface ResultRow {
  readonly step: string;
  readonly metric: string;
  readonly value: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
  readonly verdict: Verdict;
}

const HEADER = ["step", "metric", "ours", "baseline", "ratio", "target", "met?"] as const;

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function markdownTable(rows: readonly ResultRow[]): string {
  const lines = [`| ${HEADER.join(" | ")} |`, `|${HEADER.map(() => "---").join("|")}|`];
  for (const r of rows) {
    const verdict =
      r.verdict === "met" ? "✅ met" : r.verdict === "not met" ? "❌ not met" : r.verdict;
    const cells = [r.step, r.metric, r.value, r.baseline, r.ratio, r.target, verdict];
    lines.push(`| ${cells.map(cell).join(" | ")} |`);
  }
  return lines.join("\n");
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  return ms < 10
    ? `${ms.toFixed(2)} ms`
    : ms < 1000
      ? `${ms.toFixed(1)} ms`
      : `${(ms / 1000).toFixed(2)} s`;
}

export function fmtMbps(bytes: number, ms: number): string {
  return `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;
}

export function fmtBytes(bytes: number | undefined): string {
  if (bytes === undefined) return "—";
  return bytes >= 1024 ** 3
    ? `${(bytes / 1024 ** 3).toFixed(2)} GiB`
    : `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}

/** "12.3×" (how many times `better` beats `worse`; both in the same unit, bigger = better). */
export function fmtRatio(better: number, worse: number): string {
  const r = better / worse;
  return Number.isFinite(r) ? `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×` : "—";
}

/** "12× faster" or "3.1× slower": how our time compares with theirs. */
export function fmtSpeedup(theirsMs: number, oursMs: number): string {
  const r = theirsMs / oursMs;
  if (!Number.isFinite(r) || r <= 0) return "—";
  return r >= 1 ? `${fmtRatio(theirsMs, oursMs)} faster` : `${fmtRatio(oursMs, theirsMs)} slower`;
}
