// The page of `breakglass serve`: query bar, time picker, histogram, field sidebar, streamed results,
// the opened record, stage charts, scenario templates, downloads and (when allowed) revocation.
// State lives here; the pieces get values and callbacks. The URL holds the query and the time range
// (never the access token: the start URL's token became an HttpOnly cookie before this page loaded),
// so a copied link reproduces the view.
import { render } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import "uplot/dist/uPlot.min.css";
import "./app.css";
import {
  downloadUrl,
  QueryProblem,
  serverInfo,
  timeline,
  streamQuery,
  type ServerInfo,
  type StreamedLine,
} from "./api-client.js";
import { BarChart, countRows } from "./bar-chart.js";
import { FieldSidebar } from "./field-sidebar.js";
import { QueryBar } from "./query-bar.js";
import {
  andFilter,
  fieldCondition,
  leaseQuery,
  splitStages,
  stageNames,
  typedOffset,
} from "./query-text.js";
import { RecordView } from "./record-view.js";
import { resultColumns } from "./result-rows.js";
import { ResultsTable } from "./results-table.js";
import { RevokePanel } from "./revoke-panel.js";
import { SCENARIO_TEMPLATES } from "./scenario-templates.js";
import { bucketsOf, TimeChart, type Bucket } from "./time-chart.js";
import { TimePicker } from "./time-picker.js";
import { queryWithRange, rangeFromParams, rangeParams, type TimeRange } from "./time-range.js";

/** Rows the page holds at most: enough to investigate, bounded so a tab never runs out of memory. */
const MAX_ROWS = 50_000;
/** A download asks the server for up to this many results (its page limit), not just those on screen. */
const DOWNLOAD_ROWS = 100_000;

type Status =
  | { readonly kind: "idle" }
  | { readonly kind: "running"; readonly startedMs: number }
  | { readonly kind: "done"; readonly ms: number; readonly truncated: boolean }
  | { readonly kind: "failed"; readonly message: string };

function App() {
  const initial = new URLSearchParams(window.location.search);
  const [text, setText] = useState(initial.get("q") ?? "");
  const [range, setRange] = useState<TimeRange>(rangeFromParams(initial));
  const [ran, setRan] = useState<{ typed: string; query: string } | undefined>();
  const [problem, setProblem] = useState<QueryProblem>();
  const [status, setStatus] = useState<Status>({ kind: "idle" });
  const [count, setCount] = useState(0);
  const [selected, setSelected] = useState<number>();
  const [buckets, setBuckets] = useState<Bucket[]>([]);
  const [info, setInfo] = useState<ServerInfo>();
  const [runs, setRuns] = useState(0);
  const lines = useRef<StreamedLine[]>([]);
  const running = useRef<AbortController>(undefined);

  useEffect(() => {
    serverInfo().then(setInfo, () => setInfo({ allowRevoke: false }));
  }, []);

  const run = useCallback((typed: string, r: TimeRange, push: boolean) => {
    const query = queryWithRange(typed, r);
    running.current?.abort();
    const ac = new AbortController();
    running.current = ac;
    const params = new URLSearchParams();
    if (typed) params.set("q", typed);
    rangeParams(r, params);
    const url = `${window.location.pathname}?${params}`;
    if (push) history.pushState(null, "", url);
    else history.replaceState(null, "", url);
    lines.current = [];
    setRuns((n) => n + 1);
    setCount(0);
    setSelected(undefined);
    setProblem(undefined);
    setBuckets([]);
    if (!typed.trim()) {
      setRan(undefined);
      setStatus({ kind: "idle" });
      return;
    }
    setRan({ typed, query });
    const startedMs = performance.now();
    setStatus({ kind: "running", startedMs });
    let frame = 0;
    streamQuery(
      query,
      MAX_ROWS,
      (batch) => {
        if (ac.signal.aborted) return;
        lines.current.push(...batch);
        frame ||= requestAnimationFrame(() => {
          frame = 0;
          setCount(lines.current.length);
        });
      },
      ac.signal,
    ).then(
      () => {
        if (ac.signal.aborted) return;
        setCount(lines.current.length);
        setStatus({
          kind: "done",
          ms: performance.now() - startedMs,
          truncated: lines.current.length >= MAX_ROWS,
        });
      },
      (e: Error) => {
        if (ac.signal.aborted) return;
        if (e instanceof QueryProblem) {
          setProblem(new QueryProblem(e.message, typedOffset(typed, query, e.offset), e.hint));
          setStatus({ kind: "idle" });
        } else setStatus({ kind: "failed", message: e.message });
      },
    );
    timeline(splitStages(query).filter, ac.signal).then(
      (b) => !ac.signal.aborted && setBuckets(b.map((x) => ({ ms: x.startMs, count: x.count }))),
      () => undefined,
    );
  }, []);

  useEffect(() => {
    if (text) run(text, range, false);
    const onPop = () => {
      const p = new URLSearchParams(window.location.search);
      const q = p.get("q") ?? "";
      const r = rangeFromParams(p);
      setText(q);
      setRange(r);
      run(q, r, false);
    };
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);

  const runWith = (typed: string, r: TimeRange) => {
    setText(typed);
    setRange(r);
    run(typed, r, true);
  };

  const stages = ran ? stageNames(ran.typed) : [];
  const chartKind = stages.includes("timeline")
    ? "timeline"
    : stages.some((s) => s === "top" || s === "count")
      ? "bars"
      : undefined;
  const shown = lines.current.slice(0, count);
  const columns = resultColumns(shown);
  const open = selected !== undefined ? lines.current[selected] : undefined;

  return (
    <div class="page">
      <header class="top">
        <h1>breakglass</h1>
        <nav class="templates" aria-label="scenarios">
          {SCENARIO_TEMPLATES.map((t) => (
            <button
              type="button"
              class="template"
              title={t.query}
              key={t.title}
              onClick={() => runWith(t.query, range)}
            >
              {t.title}
            </button>
          ))}
        </nav>
      </header>
      <div class="query-row">
        <QueryBar
          value={text}
          problem={problem}
          onChange={setText}
          onRun={() => run(text, range, true)}
        />
        <TimePicker range={range} onChange={(r) => runWith(text, r)} />
        <button type="button" class="run" onClick={() => run(text, range, true)}>
          Run
        </button>
      </div>
      <div class="workspace">
        {ran && (
          <FieldSidebar
            query={ran.query}
            onPick={(field, value, negate) =>
              runWith(andFilter(text, fieldCondition(field, value, negate)), range)
            }
          />
        )}
        <main class="results-area">
          {buckets.length > 0 && (
            <div class="histogram" aria-label="matches over time">
              <TimeChart
                buckets={buckets}
                heightPx={110}
                label="matches"
                onZoom={(fromMs, toMs) => runWith(text, { kind: "absolute", fromMs, toMs })}
              />
            </div>
          )}
          {chartKind === "bars" && status.kind === "done" && (
            <div class="stage-chart">
              <BarChart rows={countRows(shown.map((l) => l.value))} />
            </div>
          )}
          {chartKind === "timeline" && status.kind === "done" && (
            <div class="stage-chart">
              <TimeChart
                buckets={bucketsOf(shown.map((l) => l.value))}
                heightPx={220}
                label="count"
              />
            </div>
          )}
          <div class="status-line">
            <span class="status" data-state={status.kind} data-run={runs}>
              {status.kind === "running" && `${count} rows so far…`}
              {status.kind === "done" &&
                `${count} row${count === 1 ? "" : "s"} in ${Math.round(status.ms)} ms${status.truncated ? ` (first ${MAX_ROWS})` : ""}`}
              {status.kind === "failed" && status.message}
            </span>
            {count > 0 && ran && (
              <span class="downloads">
                download
                <a
                  class="download-ndjson"
                  href={downloadUrl(ran.query, "ndjson", DOWNLOAD_ROWS)}
                  download
                >
                  NDJSON
                </a>
                <a
                  class="download-csv"
                  href={downloadUrl(ran.query, "csv", DOWNLOAD_ROWS)}
                  download
                >
                  CSV
                </a>
              </span>
            )}
            {ran && (
              <button
                type="button"
                class="share"
                onClick={() => void navigator.clipboard?.writeText(window.location.href)}
                title="copy a link to this view (query and time range)"
              >
                copy link
              </button>
            )}
          </div>
          <ResultsTable
            lines={lines.current}
            count={count}
            columns={columns}
            selected={selected}
            onOpen={(i) => setSelected(i)}
          />
        </main>
        {open && <RecordView value={open.value} onClose={() => setSelected(undefined)} />}
      </div>
      {info?.allowRevoke && ran && status.kind === "done" && (
        <RevokePanel key={ran.query} query={leaseQuery(ran.query)} />
      )}
    </div>
  );
}

render(<App />, document.getElementById("app")!);
