// A `count by` / `top` result as horizontal bars, largest first (the order the server sends): an SVG
// whose bar lengths are attributes, not inline styles, so the strict CSP has nothing to block.
export interface BarChartProps {
  readonly rows: readonly { readonly label: string; readonly count: number }[];
}

const BAR_PX = 22;
const LABEL_PX = 260;
const WIDTH_PX = 760;

export function BarChart({ rows }: BarChartProps) {
  const shown = rows.slice(0, 50);
  const max = Math.max(1, ...shown.map((r) => r.count));
  const barSpace = WIDTH_PX - LABEL_PX - 70;
  return (
    <svg
      class="bar-chart"
      viewBox={`0 0 ${WIDTH_PX} ${shown.length * BAR_PX + 4}`}
      role="img"
      aria-label="counts"
    >
      {shown.map((r, i) => (
        <g key={r.label} transform={`translate(0 ${i * BAR_PX + 2})`}>
          <text x={LABEL_PX - 8} y={BAR_PX / 2 + 4} text-anchor="end" class="bar-label">
            {r.label.length > 40 ? `${r.label.slice(0, 39)}…` : r.label}
          </text>
          <rect
            x={LABEL_PX}
            y={2}
            height={BAR_PX - 6}
            width={Math.max(1, (r.count / max) * barSpace)}
            class="bar"
          />
          <text x={LABEL_PX + (r.count / max) * barSpace + 6} y={BAR_PX / 2 + 4} class="bar-count">
            {r.count}
          </text>
        </g>
      ))}
    </svg>
  );
}

/** `{"path":"…","count":N}` rows as labelled counts; rows of another shape are skipped. */
export function countRows(values: readonly unknown[]): { label: string; count: number }[] {
  const out: { label: string; count: number }[] = [];
  for (const v of values) {
    if (typeof v !== "object" || v === null) continue;
    const o = v as Record<string, unknown>;
    if (typeof o.count !== "number") continue;
    const key = Object.keys(o).find((k) => k !== "count");
    if (key === undefined) continue;
    const label = o[key];
    out.push({ label: typeof label === "string" ? label : JSON.stringify(label), count: o.count });
  }
  return out;
}
