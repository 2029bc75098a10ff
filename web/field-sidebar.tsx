// The field sidebar: the top values of the main fields among the current query's matches (one
// `facets` request for all of them; the server leaves the query's stages out). A click narrows the query to that value (`and F = V`); the
// second button or Alt+click excludes it (`and not F = V`).
import { useEffect, useState } from "preact/hooks";
import { facets, type FacetValue } from "./api-client.js";

export const SIDEBAR_FIELDS = ["ip", "path", "op", "display_name", "role", "type"] as const;
const TOP_VALUES = 5;

export interface FieldSidebarProps {
  /** The query that ran (time range included); its stages are ignored here. */
  readonly query: string;
  readonly onPick: (field: string, value: string, negate: boolean) => void;
}

type Tops = Record<string, FacetValue[]>;

export function FieldSidebar({ query, onPick }: FieldSidebarProps) {
  const [tops, setTops] = useState<Tops>({});

  useEffect(() => {
    setTops({});
    const ac = new AbortController();
    facets(query, SIDEBAR_FIELDS, TOP_VALUES, ac.signal).then(setTops, () => undefined);
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
                <li key={r.value}>
                  <button
                    type="button"
                    class="field-value"
                    data-value={r.value}
                    title={`click: and ${field} = …; right-click or Alt+click: and not ${field} = …`}
                    onClick={(e) => onPick(field, r.value, e.altKey)}
                    onContextMenu={(e) => {
                      e.preventDefault();
                      onPick(field, r.value, true);
                    }}
                  >
                    <span class="value">{r.value}</span>
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
