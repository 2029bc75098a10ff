// Counts over time drawn with uPlot (canvas: thousands of buckets stay cheap): the histogram above
// the results, and the chart of a `timeline` stage. Dragging across it selects a span; `onZoom`
// gets the span in ms (the page turns it into an absolute time range).
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export interface Bucket {
  readonly ms: number;
  readonly count: number;
}

export interface TimeChartProps {
  readonly buckets: readonly Bucket[];
  readonly heightPx: number;
  readonly onZoom?: (fromMs: number, toMs: number) => void;
  readonly label: string;
}

export function TimeChart({ buckets, heightPx, onZoom, label }: TimeChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const zoom = useRef(onZoom);
  zoom.current = onZoom;

  useEffect(() => {
    const el = host.current;
    if (!el || buckets.length === 0) return;
    const stepS = buckets.length > 1 ? (buckets[1]!.ms - buckets[0]!.ms) / 1000 : 60;
    const xs = buckets.map((b) => b.ms / 1000);
    const ys = buckets.map((b) => b.count);
    const bars = uPlot.paths.bars!({ size: [0.9, 64], align: 1 });
    const plot = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: heightPx,
        legend: { show: false },
        // Room at the left for the first date label under the axis.
        padding: [8, 12, 0, 28],
        // Audit times are UTC, and so is the table: the axis too, whatever the browser's zone.
        tzDate: (s) => uPlot.tzDate(new Date(s * 1000), "Etc/UTC"),
        cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
        scales: {
          x: { time: true, range: (_u, min, max) => [min, max + stepS] },
          // Counts: the bars stand on zero.
          y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] },
        },
        axes: [{ stroke: "#889" }, { stroke: "#889", size: 48 }],
        series: [
          {},
          {
            label,
            points: { show: false },
            fill: "rgba(74,144,226,0.55)",
            stroke: "#4a90e2",
            width: 0,
            paths: bars,
          },
        ],
        hooks: {
          setSelect: [
            (u) => {
              if (u.select.width < 2 || !zoom.current) return;
              const fromS = u.posToVal(u.select.left, "x");
              const toS = u.posToVal(u.select.left + u.select.width, "x");
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              zoom.current(Math.floor(fromS * 1000), Math.ceil(toS * 1000));
            },
          ],
        },
      },
      [xs, ys],
      el,
    );
    const observer = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(200, el.clientWidth), height: heightPx }),
    );
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [buckets, heightPx, label]);

  return <div class="time-chart" ref={host} data-buckets={buckets.length} />;
}

/** `{"time":"…","count":N}` rows (a `timeline` stage's output) as buckets; others are skipped. */
export function bucketsOf(values: readonly unknown[]): Bucket[] {
  const out: Bucket[] = [];
  for (const v of values) {
    const o = v as { time?: unknown; count?: unknown };
    if (typeof o?.time !== "string" || typeof o.count !== "number") continue;
    const ms = Date.parse(o.time);
    if (Number.isFinite(ms)) out.push({ ms, count: o.count });
  }
  return out;
}
