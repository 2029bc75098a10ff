// Committed entries → alerts → sinks. Runs right after each commit on the indexer's thread (the
// onRecords hook), so every entry is evaluated once, in index order; a line that is not JSON
// cannot be here (the indexer only commits records).
import { recordEntry } from "../audit/framing/record-json.js";
import type { AuditEntry } from "../audit/audit-entry.js";
import { fileOrigin, withOrigin } from "../audit/record-origin.js";
import type { FileMeta } from "../store/format.js";
import { AlertEvaluator, type Alert, type AlertRule } from "./alert-rules.js";
import type { AlertSink } from "./alert-sinks.js";

export class AlertRunner {
  private readonly evaluator: AlertEvaluator;
  fired = 0;

  constructor(
    rules: readonly AlertRule[],
    private readonly sinks: readonly AlertSink[],
    now?: () => number,
  ) {
    this.evaluator = new AlertEvaluator(rules, now);
  }

  /** The hook for Indexer.indexPaths' onRecords. */
  readonly onRecords = (lines: readonly Buffer[], file: FileMeta): void => {
    const origin = fileOrigin(file);
    for (const line of lines) {
      const entry = withOrigin(recordEntry<AuditEntry>(line), origin);
      for (const alert of this.evaluator.evaluate(entry)) this.emit(alert);
    }
  };

  private emit(alert: Alert): void {
    this.fired++;
    const json = JSON.stringify(alert);
    for (const s of this.sinks) s(alert, json);
  }
}
