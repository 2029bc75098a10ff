// One result opened: the whole entry as indented JSON, beside its request/response partner (the
// `pair` stage, looked up by request id), each with a copy button.
import { useEffect, useState } from "preact/hooks";
import { queryValues } from "./api-client.js";
import { queryValue } from "./query-text.js";

export interface RecordViewProps {
  readonly value: unknown;
  readonly onClose: () => void;
}

type Partner = { state: "loading" } | { state: "none" } | { state: "found"; value: unknown };

function requestIdOf(v: unknown): string | undefined {
  const request = (v as { request?: { id?: unknown } } | null)?.request;
  return typeof request?.id === "string" ? request.id : undefined;
}

export function RecordView({ value, onClose }: RecordViewProps) {
  const [partner, setPartner] = useState<Partner>({ state: "loading" });

  useEffect(() => {
    const id = requestIdOf(value);
    const type = (value as { type?: unknown } | null)?.type;
    if (!id || typeof type !== "string") {
      setPartner({ state: "none" });
      return;
    }
    const ac = new AbortController();
    setPartner({ state: "loading" });
    queryValues(`request_id = ${queryValue(id)} | pair`, 10, ac.signal).then(
      (pairs) => {
        const side = type === "request" || type.endsWith("-request") ? "response" : "request";
        const found = pairs.map((p) => (p as Record<string, unknown>)[side]).find((p) => p);
        setPartner(found ? { state: "found", value: found } : { state: "none" });
      },
      () => setPartner({ state: "none" }),
    );
    return () => ac.abort();
  }, [value]);

  return (
    <section class="record-view" aria-label="record">
      <header>
        <h2>Entry</h2>
        <button type="button" class="close" onClick={onClose} aria-label="close">
          ×
        </button>
      </header>
      <div class="record-pair">
        <JsonPane
          title={String((value as { type?: unknown }).type ?? "entry")}
          value={value}
          cls="record-main"
        />
        {partner.state === "found" ? (
          <JsonPane
            title={`partner: ${String((partner.value as { type?: unknown }).type)}`}
            value={partner.value}
            cls="record-partner"
          />
        ) : (
          <div class="json-pane record-partner empty">
            {partner.state === "loading"
              ? "looking for its partner…"
              : "no request/response partner in the index"}
          </div>
        )}
      </div>
    </section>
  );
}

function JsonPane({ title, value, cls }: { title: string; value: unknown; cls: string }) {
  const text = JSON.stringify(value, null, 2);
  const [copied, setCopied] = useState(false);
  return (
    <div class={`json-pane ${cls}`}>
      <div class="pane-head">
        <span>{title}</span>
        <button
          type="button"
          class="copy"
          onClick={() => {
            void copyText(text).then(() => {
              setCopied(true);
              window.setTimeout(() => setCopied(false), 1200);
            });
          }}
        >
          {copied ? "copied" : "copy"}
        </button>
      </div>
      <pre>{text}</pre>
    </div>
  );
}

/** The clipboard API where the page is a secure context (loopback is), else a selection copy. */
async function copyText(text: string): Promise<void> {
  if (navigator.clipboard) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // denied (no permission): fall through to the selection copy
    }
  }
  const area = document.createElement("textarea");
  area.value = text;
  document.body.append(area);
  area.select();
  document.execCommand("copy");
  area.remove();
}
