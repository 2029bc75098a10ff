// Alert rules: `NAME=QUERY`, where QUERY is a predicate of the query language, optionally ended by
// a threshold `| count [by FIELD] > N within DURATION` (more than N matching entries, per value of
// FIELD, within a sliding window). compileAlertRules parses and resolves them (hash() with the
// local salt; subqueries are refused: the index they would read keeps changing); AlertEvaluator
// tests each new entry and says which alerts fire, at most one per (rule, key) per window, so a
// burst never fires a storm. Pure (no I/O): sinks are alert-sinks.ts.
import { auditHmac } from "../audit/audit-hmac.js";
import type { AuditEntry } from "../audit/audit-entry.js";
import { fieldByName } from "../audit/field-catalog.js";
import { parseInstant } from "../audit/time-key.js";
import { QueryError, UsageError } from "../errors.js";
import type { Expr, FieldRef } from "../query/ast.js";
import type { EntryTest } from "../query/entry-predicate.js";
import { fieldTexts } from "../query/entry-predicate.js";
import { exprTest } from "../query/expr-test.js";
import { addressText } from "../query/field-values.js";
import { parseQuery } from "../query/parse-query.js";
import { resolveValues } from "../query/resolve-values.js";

/** Rate limit of a rule without a threshold: one alert per rule per minute. */
export const DEFAULT_WINDOW_MS = 60_000;
/** Keys remembered per rule; the least recently seen go first (memory stays bounded). */
const MAX_KEYS_PER_RULE = 100_000;

export interface Threshold {
  /** undefined: one count for the whole rule. */
  readonly by: FieldRef | undefined;
  readonly moreThan: number;
  readonly windowMs: number;
}

export interface AlertRuleSpec {
  readonly name: string;
  /** The query text (predicate and threshold) as written. */
  readonly text: string;
  readonly where: Expr;
  readonly threshold: Threshold | undefined;
}

export interface AlertRule extends AlertRuleSpec {
  readonly test: EntryTest;
}

export interface Alert {
  readonly alert: string;
  readonly time: string;
  readonly key: string | null;
  readonly count: number;
  /** Matches in the window that were not alerted on (rate limit) since the last alert. */
  readonly suppressed: number;
  readonly entry: AuditEntry;
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const THRESHOLD =
  /^\s*count(?:\s+by\s+(\S+))?\s*>\s*(\d+)\s+within\s+(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/;

/** The offset of the last `|` outside quotes, or -1. */
function lastPipe(text: string): number {
  let quote: string | undefined;
  let at = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "|") at = i;
  }
  return at;
}

/** Parse one rule, `NAME=QUERY`; errors are QueryErrors with a caret into the query. */
export function parseAlertRule(spec: string): AlertRuleSpec {
  // The name touches the `=` (`watched=ip in …`), so a bare query (`ip = …`) is not taken for one.
  const m = /^\s*([A-Za-z0-9_.:-]+)=(?!=)/.exec(spec);
  const name = m?.[1] ?? "";
  const eq = m ? m[0].length - 1 : -1;
  if (!m) {
    throw new UsageError(
      `bad alert rule ${JSON.stringify(spec)}: expected NAME=QUERY`,
      'e.g. --alert failed-unwrap=\'path = "sys/wrapping/unwrap" and error ~ "not valid"\'',
    );
  }
  const text = spec.slice(eq + 1).trim();
  let predicate = text;
  let threshold: Threshold | undefined;
  const pipe = lastPipe(text);
  if (pipe >= 0 && /^\s*count\b/.test(text.slice(pipe + 1))) {
    const m = THRESHOLD.exec(text.slice(pipe + 1));
    if (!m) {
      throw new QueryError(
        "expected a threshold `count [by FIELD] > N within DURATION` (DURATION: 30s, 1m, 1h)",
        text,
        pipe + 1 + (text.slice(pipe + 1).length - text.slice(pipe + 1).trimStart().length),
      );
    }
    const [, byName, n, amount, unit] = m;
    let by: FieldRef | undefined;
    if (byName !== undefined) {
      const at = text.indexOf(byName, pipe);
      try {
        const q = parseQuery(`exists ${byName}`);
        if (q.where.kind !== "exists") throw new Error("not a field");
        by = { ...q.where.field, offset: at };
      } catch (err) {
        const msg = err instanceof QueryError ? err.message : `not a field: ${byName}`;
        throw new QueryError(msg, text, at);
      }
    }
    const windowMs = Number(amount) * UNITS[unit!]!;
    if (!(windowMs > 0)) throw new QueryError("the window must be longer than 0", text, pipe + 1);
    threshold = { by, moreThan: Number(n), windowMs };
    predicate = text.slice(0, pipe);
  }
  let query;
  try {
    query = parseQuery(predicate);
  } catch (err) {
    if (err instanceof QueryError) throw new QueryError(err.message, text, err.offset, err.hint);
    throw err;
  }
  const stage = query.stages[0];
  if (stage) {
    throw new QueryError(
      "an alert rule is a predicate, optionally ended by `| count [by FIELD] > N within DURATION`; no other stages",
      text,
      stage.offset,
    );
  }
  if (query.where.kind === "all") {
    throw new QueryError("an alert rule needs a predicate (it would match every entry)", text, 0);
  }
  return { name, text, where: query.where, threshold };
}

/** Parse rules and resolve hash() with the audit salt; subqueries are refused. */
export async function compileAlertRules(
  specs: readonly string[],
  opts: { salt?: string | undefined } = {},
): Promise<AlertRule[]> {
  const rules: AlertRule[] = [];
  const names = new Set<string>();
  for (const spec of specs) {
    const rule = parseAlertRule(spec);
    if (names.has(rule.name)) throw new UsageError(`two alert rules are named ${rule.name}`);
    names.add(rule.name);
    const resolved = await resolveValues(
      { kind: "query", where: rule.where, stages: [], text: rule.text },
      {
        hash: async (plaintexts) => {
          if (opts.salt === undefined) {
            throw new UsageError(
              `alert rule ${rule.name} uses hash(): give the audit device's salt`,
              "--salt SALT or $BREAKGLASS_AUDIT_SALT",
            );
          }
          return plaintexts.map((p) => auditHmac(opts.salt!, p));
        },
        subquery: async () => {
          throw new QueryError(
            "subqueries are not supported in alert rules (list the values instead)",
            rule.text,
            0,
          );
        },
      },
    );
    rules.push({ ...rule, where: resolved.where, test: exprTest(resolved.where, rule.text) });
  }
  return rules;
}

/** Rules from a file: one NAME=QUERY a line; blank lines and `#` comments skipped. */
export function rulesFromText(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

interface KeyState {
  /** Times (ms) of matches inside the window, ascending (threshold rules). */
  times: number[];
  /** Until when alerts for this key are held back. */
  quietUntilMs: number;
  suppressed: number;
}

function entryTimeMs(entry: AuditEntry, fallback: number): number {
  const t = typeof entry.time === "string" ? parseInstant(entry.time) : undefined;
  return t ? t.seconds * 1000 + Math.floor(t.nanos / 1e6) : fallback;
}

/**
 * Sliding windows and rate limits, per rule and key. Time is the entry's own `time` (replaying a
 * log gives the same alerts as living it), else the clock.
 */
export class AlertEvaluator {
  private readonly state: Map<string, KeyState>[];

  constructor(
    readonly rules: readonly AlertRule[],
    private readonly now: () => number = Date.now,
  ) {
    this.state = rules.map(() => new Map());
  }

  /** The alerts one entry fires. */
  evaluate(entry: AuditEntry): Alert[] {
    let out: Alert[] | undefined;
    let t: number | undefined;
    this.rules.forEach((rule, r) => {
      if (!rule.test(entry)) return;
      t ??= entryTimeMs(entry, this.now());
      const th = rule.threshold;
      const byAddress = th?.by?.catalog === true && fieldByName(th.by.name)?.kind === "ip";
      const keys = th?.by
        ? [...new Set(fieldTexts(entry, th.by).map((v) => (byAddress ? addressText(v) : v)))]
        : [null];
      for (const key of keys) {
        const alert = this.hit(r, rule, key, t, entry);
        if (alert) (out ??= []).push(alert);
      }
    });
    return out ?? [];
  }

  private hit(
    r: number,
    rule: AlertRule,
    key: string | null,
    t: number,
    entry: AuditEntry,
  ): Alert | undefined {
    const map = this.state[r]!;
    const k = key ?? "";
    let s = map.get(k);
    if (s) {
      map.delete(k); // re-insert: the Map's order is least recently seen first
    } else {
      s = { times: [], quietUntilMs: -Infinity, suppressed: 0 };
      if (map.size >= MAX_KEYS_PER_RULE) map.delete(map.keys().next().value!);
    }
    map.set(k, s);
    const th = rule.threshold;
    const windowMs = th?.windowMs ?? DEFAULT_WINDOW_MS;
    let count = 1;
    if (th) {
      s.times.push(t);
      const from = t - windowMs;
      let drop = 0;
      while (drop < s.times.length && s.times[drop]! <= from) drop++;
      if (drop > 0) s.times.splice(0, drop);
      count = s.times.length;
      if (count <= th.moreThan) return undefined;
    }
    if (t < s.quietUntilMs) {
      s.suppressed++;
      return undefined;
    }
    s.quietUntilMs = t + windowMs;
    const suppressed = s.suppressed;
    s.suppressed = 0;
    const time = typeof entry.time === "string" ? entry.time : new Date(t).toISOString();
    return { alert: rule.name, time, key, count, suppressed, entry };
  }
}
