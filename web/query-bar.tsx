// The query bar: a text input over a highlighted copy of the same text (the input's own text is
// transparent, so the colours show through and the caret, selection and typing stay native), a
// completion list from the server's completer, and the server's parse error drawn inline: the
// offending character marked, a caret under it, the message and the hint.
import { useEffect, useRef, useState } from "preact/hooks";
import { complete, type QueryProblem } from "./api-client.js";
import { querySpans } from "./query-tokens.js";

export interface QueryBarProps {
  readonly value: string;
  readonly problem: QueryProblem | undefined;
  readonly onChange: (text: string) => void;
  readonly onRun: () => void;
}

const COMPLETE_DELAY_MS = 120; // one request per pause in typing, not per key

export function QueryBar({ value, problem, onChange, onRun }: QueryBarProps) {
  const input = useRef<HTMLInputElement>(null);
  const overlay = useRef<HTMLDivElement>(null);
  const [choices, setChoices] = useState<{ candidates: string[]; start: number; end: number }>();
  const [selected, setSelected] = useState(0);
  const timer = useRef<number>(undefined);
  const aborter = useRef<AbortController>(undefined);

  useEffect(() => () => window.clearTimeout(timer.current), []);

  const syncScroll = () => {
    if (overlay.current && input.current) overlay.current.scrollLeft = input.current.scrollLeft;
  };

  const askCompletion = (text: string, cursor: number) => {
    window.clearTimeout(timer.current);
    aborter.current?.abort();
    timer.current = window.setTimeout(() => {
      const ac = new AbortController();
      aborter.current = ac;
      complete(text, cursor, ac.signal).then(
        (c) => {
          const candidates = c.candidates.slice(0, 12);
          setSelected(0);
          setChoices(candidates.length ? { candidates, start: c.from, end: c.to } : undefined);
        },
        () => setChoices(undefined),
      );
    }, COMPLETE_DELAY_MS);
  };

  const accept = (candidate: string) => {
    if (!choices) return;
    const next = value.slice(0, choices.start) + candidate + value.slice(choices.end);
    onChange(next);
    setChoices(undefined);
    const cursor = choices.start + candidate.length;
    requestAnimationFrame(() => input.current?.setSelectionRange(cursor, cursor));
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (choices) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const n = choices.candidates.length;
        setSelected((s) => (s + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
        return;
      }
      if (e.key === "Tab") {
        e.preventDefault();
        accept(choices.candidates[selected]!);
        return;
      }
      if (e.key === "Escape") {
        setChoices(undefined);
        return;
      }
    }
    if (e.key === "Enter") {
      e.preventDefault();
      window.clearTimeout(timer.current);
      aborter.current?.abort();
      setChoices(undefined);
      onRun();
    }
  };

  const errorAt =
    problem?.offset !== undefined ? Math.min(problem.offset, value.length) : undefined;

  return (
    <div class="query-bar">
      <div class="query-field">
        <div class="query-overlay" ref={overlay} aria-hidden="true">
          {highlighted(value, errorAt)}
        </div>
        <input
          ref={input}
          class="query-input"
          spellcheck={false}
          autocomplete="off"
          aria-label="query"
          placeholder="ip = 10.103.9.43 | leases"
          value={value}
          onInput={(e) => {
            const el = e.currentTarget;
            onChange(el.value);
            askCompletion(el.value, el.selectionStart ?? el.value.length);
            syncScroll();
          }}
          onKeyDown={onKeyDown}
          onScroll={syncScroll}
          onBlur={() => window.setTimeout(() => setChoices(undefined), 150)}
        />
        {choices && (
          <ul class="completions" role="listbox">
            {choices.candidates.map((c, i) => (
              <li
                key={c}
                role="option"
                aria-selected={i === selected}
                class={i === selected ? "selected" : ""}
                onMouseDown={(e) => {
                  e.preventDefault();
                  accept(c);
                }}
              >
                {c}
              </li>
            ))}
          </ul>
        )}
      </div>
      {problem && (
        <div class="query-error" role="alert">
          {errorAt !== undefined && (
            <pre class="caret-line">
              {" ".repeat(errorAt)}
              <span class="caret">^</span>
            </pre>
          )}
          <div class="error-message">{problem.message}</div>
          {problem.hint && <div class="error-hint">{problem.hint}</div>}
        </div>
      )}
    </div>
  );
}

function highlighted(value: string, errorAt: number | undefined) {
  const out = [];
  let pos = 0;
  for (const span of querySpans(value)) {
    const start = pos;
    pos += span.text.length;
    if (errorAt !== undefined && errorAt >= start && errorAt < pos) {
      const k = errorAt - start;
      out.push(<span class={`tok-${span.cls}`}>{span.text.slice(0, k)}</span>);
      out.push(<span class={`tok-${span.cls} tok-error`}>{span.text.slice(k, k + 1)}</span>);
      out.push(<span class={`tok-${span.cls}`}>{span.text.slice(k + 1)}</span>);
    } else out.push(<span class={`tok-${span.cls}`}>{span.text}</span>);
  }
  if (errorAt !== undefined && errorAt >= value.length) out.push(<span class="tok-error"> </span>);
  return out;
}
