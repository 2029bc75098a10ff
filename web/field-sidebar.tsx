// The field sidebar: the top values of the main fields among the current query's matches (one
// `FILTER | top N FIELD` query each). A click narrows the query to that value (`and F = V`); the
// second button or Alt+click excludes it (`and not F = V`).
import { useEffect, useState } from "preact/hooks";
import { queryValues } from "./api-client.js";
import { countRows } from "./bar-chart.js";
import { splitStages } from "./query-text.js";

export const SIDEBAR_FIELDS = ["ip", "path", "op", "display_name", "role", "type"] as const;
const TOP_VALUES = 5;

export interface FieldSidebarProps {
  /** The query that ran (time range included); its stages are ignored here. */
  readonly query: string;
  readonly onPick: (field: string, value: string, negate: boolean) => void;
}

type Tops = Record<string, { label: string; count: number }[]>;

export function FieldSidebar({ query, onPick }: FieldSidebarProps) {
  const [tops, setTops] = useState<Tops>({});

  useEffect(() => {
    const { filter } = splitStages(query);
    setTops({});
    if (!filter) return;
    const ac = new AbortController();
    for (const field of SIDEBAR_FIELDS) {
      queryValues(`${filter} | top ${TOP_VALUES} ${field}`, TOP_VALUES, ac.signal).then(
        (values) => setTops((t) => ({ ...t, [field]: countRows(values) })),
        () => undefined,
      );
    }
    return () => ac.abort();
  }, [query]);

  return (
    <aside class="sidebar" aria-label="fields">
      {SIDEBAR_FIELDS.map((field) => {
        const rows = tops[field];
        if (!rows || rows.length === 0) return null;
        return (
          <section class="field" data-field={field} key={field}>
            <h3>{field}</h3>
            <ul>
              {rows.map((r) => (
                <li key={r.label}>
                  <button
                    type="button"
                    class="field-value"
                    data-value={r.label}
                    title={`click: and ${field} = …; right-click or Alt+click: and not ${field} = …`}
                    onClick={(e) => onPick(field, r.label, e.altKey)}
                    onContextMenu={(e) => {
                      e.preventDefault();
                      onPick(field, r.label, true);
                    }}
                  >
                    <span class="value">{r.label}</span>
                    <span class="count">{r.count}</span>
                  </button>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </aside>
  );
}
