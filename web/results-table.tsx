// The results as a virtualised table: only the rows in view (plus a margin) are in the DOM, placed
// by a spacer of the full height, so tens of thousands of streamed rows scroll as smoothly as ten.
// Rows have one fixed height (ROW_PX, matched by the stylesheet) so a row's place is index × height.
import { useEffect, useRef, useState } from "preact/hooks";
import type { StreamedLine } from "./api-client.js";
import { rowCells } from "./result-rows.js";

export const ROW_PX = 24;
const OVERSCAN_ROWS = 10;

export interface ResultsTableProps {
  readonly lines: readonly StreamedLine[];
  /** How many of `lines` to show (the stream appends to `lines` and bumps this). */
  readonly count: number;
  readonly columns: readonly string[];
  readonly selected: number | undefined;
  readonly onOpen: (index: number) => void;
}

export function ResultsTable({ lines, count, columns, selected, onOpen }: ResultsTableProps) {
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [heightPx, setHeightPx] = useState(480);

  useEffect(() => {
    const el = viewport.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setHeightPx(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const first = Math.max(0, Math.floor(scrollTop / ROW_PX) - OVERSCAN_ROWS);
  const last = Math.min(count, Math.ceil((scrollTop + heightPx) / ROW_PX) + OVERSCAN_ROWS);
  const rows = [];
  for (let i = first; i < last; i++) {
    const line = lines[i]!;
    rows.push(
      <div
        key={i}
        class={`row${i === selected ? " selected" : ""}`}
        role="row"
        data-index={i}
        style={{ transform: `translateY(${i * ROW_PX}px)` }}
        onClick={() => onOpen(i)}
      >
        {rowCells(line, columns).map((cell, c) => (
          <span class={`cell col-${columns[c]}`} role="cell" title={cell}>
            {cell}
          </span>
        ))}
      </div>,
    );
  }

  return (
    <div class="results" role="table" aria-rowcount={count}>
      <div class="row header" role="row">
        {columns.map((c) => (
          <span class={`cell col-${c}`} role="columnheader">
            {c}
          </span>
        ))}
      </div>
      <div
        class="viewport"
        ref={viewport}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      >
        <div class="spacer" style={{ height: `${count * ROW_PX}px` }}>
          {rows}
        </div>
      </div>
    </div>
  );
}
