// The shared corpus of real audit logs (../shared/corpus beside the repo; see its SOURCES.md).
// A user's clone has no ../shared: tests over the corpus skip then, with a visible notice.
// The files are read in place, never copied into the repo.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

export const CORPUS_DIR = path.resolve(import.meta.dirname, "../../../shared/corpus");
export const HAS_CORPUS = existsSync(CORPUS_DIR);

/** The corpus's .log files, sorted; [] without the corpus. */
export function corpusLogs(): string[] {
  if (!HAS_CORPUS) return [];
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith(".log"))
    .sort()
    .map((f) => path.join(CORPUS_DIR, f));
}

/** Print why corpus tests of `who` are skipped, once per test file, when the corpus is absent. */
export function noticeIfNoCorpus(who: string): void {
  if (!HAS_CORPUS) {
    console.warn(
      `[${who}] corpus part SKIPPED: no corpus at ${CORPUS_DIR} (a clone without ../shared)`,
    );
  }
}
