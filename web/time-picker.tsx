// The time picker: all time, the last 15 min / 1 h / 24 h / 7 d (`time >= now-1h` in the query),
// or an absolute span typed as RFC 3339 times (the histogram's drag sets one too).
import { useState } from "preact/hooks";
import { isoTime, rangeLabel, RELATIVE_SPANS, type TimeRange } from "./time-range.js";

export function TimePicker({
  range,
  onChange,
}: {
  readonly range: TimeRange;
  readonly onChange: (r: TimeRange) => void;
}) {
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState(range.kind === "absolute" ? isoTime(range.fromMs) : "");
  const [to, setTo] = useState(range.kind === "absolute" ? isoTime(range.toMs) : "");
  const fromMs = Date.parse(from);
  const toMs = Date.parse(to);
  const valid = Number.isFinite(fromMs) && Number.isFinite(toMs) && fromMs < toMs;
  const pick = (r: TimeRange) => {
    setOpen(false);
    onChange(r);
  };
  return (
    <div class="time-picker">
      <button type="button" class="time-button" aria-expanded={open} onClick={() => setOpen(!open)}>
        {rangeLabel(range)}
      </button>
      {open && (
        <div class="time-menu">
          <button type="button" data-range="all" onClick={() => pick({ kind: "all" })}>
            all time
          </button>
          {RELATIVE_SPANS.map((last) => (
            <button
              type="button"
              data-range={last}
              key={last}
              onClick={() => pick({ kind: "relative", last })}
            >
              last {last}
            </button>
          ))}
          <form
            class="absolute"
            onSubmit={(e) => {
              e.preventDefault();
              if (valid) pick({ kind: "absolute", fromMs, toMs });
            }}
          >
            <input
              aria-label="from"
              placeholder="2026-11-20T00:00:00Z"
              value={from}
              onInput={(e) => setFrom(e.currentTarget.value)}
            />
            <input
              aria-label="to"
              placeholder="2026-11-21T00:00:00Z"
              value={to}
              onInput={(e) => setTo(e.currentTarget.value)}
            />
            <button type="submit" disabled={!valid}>
              apply
            </button>
          </form>
        </div>
      )}
    </div>
  );
}
