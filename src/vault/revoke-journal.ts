// What a revoke run has already done, so a rerun after a crash skips it. One NDJSON line per
// outcome, appended as it happens to `revoke-journal.ndjson` in the index directory (or --journal
// FILE), created 0600. Appends are group-committed: every line queued while a write is in flight
// goes out in the next single write + fdatasync, and append() resolves only after that, so a
// lease is never counted done before its line is on disk. A crash mid-write leaves at most a
// truncated last line; the reader ignores lines that do not parse and the writer starts on a
// fresh line. It never writes the token (records carry lease ids, namespaces and reasons only).
import { mkdir, open, readFile, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { InputError } from "../errors.js";
import type { RevokeMode, RevokeOutcomeKind } from "./revoke-leases.js";

export const JOURNAL_FILE_NAME = "revoke-journal.ndjson";
const JOURNAL_MODE = 0o600;

export interface JournalRecord {
  time: string;
  mode: RevokeMode;
  leaseId: string;
  /** The namespace the call was sent to, "" for root. */
  namespace: string;
  outcome: RevokeOutcomeKind;
  reason?: string;
  attempts: number;
}

export function defaultJournalPath(dbDir: string): string {
  return path.join(dbDir, JOURNAL_FILE_NAME);
}

/** "ns1/", "/ns1", "ns1" → "ns1"; undefined and "root" stay root (""). */
export function normalizeNamespace(ns: string | undefined): string {
  const trimmed = (ns ?? "").replace(/^\/+|\/+$/g, "");
  return trimmed === "root" ? "" : trimmed;
}

function journalKey(mode: RevokeMode, namespace: string, leaseId: string): string {
  return `${mode}\u0000${normalizeNamespace(namespace)}\u0000${leaseId}`;
}

const OUTCOMES: ReadonlySet<string> = new Set(["revoked", "already_gone", "failed"]);

function parseRecord(line: string): JournalRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== "object") return undefined;
  const r = v as Partial<JournalRecord>;
  if (typeof r.leaseId !== "string" || typeof r.mode !== "string") return undefined;
  if (typeof r.outcome !== "string" || !OUTCOMES.has(r.outcome)) return undefined;
  return { ...r, namespace: typeof r.namespace === "string" ? r.namespace : "" } as JournalRecord;
}

/** What earlier runs recorded, read without creating or changing anything (for --dry-run). */
export interface JournalView {
  readonly file: string;
  readonly ignoredLines: number;
  outcomeOf(mode: RevokeMode, namespace: string, leaseId: string): RevokeOutcomeKind | undefined;
  isDone(mode: RevokeMode, namespace: string, leaseId: string): boolean;
}

function parseJournal(text: string): { done: Map<string, RevokeOutcomeKind>; ignored: number } {
  const done = new Map<string, RevokeOutcomeKind>();
  let ignored = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const rec = parseRecord(line);
    if (!rec) {
      ignored++;
      continue;
    }
    done.set(journalKey(rec.mode, rec.namespace, rec.leaseId), rec.outcome);
  }
  return { done, ignored };
}

function isDoneOutcome(o: RevokeOutcomeKind | undefined): boolean {
  return o === "revoked" || o === "already_gone";
}

/** Reads a journal without creating it; a missing file is an empty journal. */
export async function readJournal(file: string): Promise<JournalView> {
  const abs = path.resolve(file);
  let text = "";
  try {
    text = await readFile(abs, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") throw new InputError(`cannot read the revoke journal ${abs} (${code})`);
  }
  const { done, ignored } = parseJournal(text);
  return {
    file: abs,
    ignoredLines: ignored,
    outcomeOf: (mode, ns, id) => done.get(journalKey(mode, ns, id)),
    isDone: (mode, ns, id) => isDoneOutcome(done.get(journalKey(mode, ns, id))),
  };
}

interface Pending {
  line: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class RevokeJournal implements JournalView {
  readonly file: string;
  /** Lines that did not parse (a truncated last line after a crash); they are ignored. */
  readonly ignoredLines: number;
  readonly #fh: FileHandle;
  readonly #done: Map<string, RevokeOutcomeKind>;
  readonly #fsync: boolean;
  #needsNewline: boolean;
  #pending: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #closed = false;

  private constructor(
    file: string,
    fh: FileHandle,
    done: Map<string, RevokeOutcomeKind>,
    ignored: number,
    needsNewline: boolean,
    fsync: boolean,
  ) {
    this.file = file;
    this.#fh = fh;
    this.#done = done;
    this.ignoredLines = ignored;
    this.#needsNewline = needsNewline;
    this.#fsync = fsync;
  }

  /** Opens (creating 0600, and the directory) and reads what earlier runs recorded. */
  static async open(file: string, opts: { fsync?: boolean } = {}): Promise<RevokeJournal> {
    const abs = path.resolve(file);
    let fh: FileHandle;
    try {
      await mkdir(path.dirname(abs), { recursive: true, mode: 0o700 });
      fh = await open(abs, "a+", JOURNAL_MODE);
      await fh.chmod(JOURNAL_MODE);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new InputError(`cannot open the revoke journal ${abs} (${code})`, "use --journal FILE");
    }
    const text = (await fh.readFile()).toString("utf8");
    const { done, ignored } = parseJournal(text);
    const needsNewline = text.length > 0 && !text.endsWith("\n");
    return new RevokeJournal(abs, fh, done, ignored, needsNewline, opts.fsync ?? true);
  }

  /** The last outcome recorded for this call, if any. */
  outcomeOf(mode: RevokeMode, namespace: string, leaseId: string): RevokeOutcomeKind | undefined {
    return this.#done.get(journalKey(mode, namespace, leaseId));
  }

  /** True when an earlier run revoked it or found it already gone: a rerun skips it. */
  isDone(mode: RevokeMode, namespace: string, leaseId: string): boolean {
    return isDoneOutcome(this.outcomeOf(mode, namespace, leaseId));
  }

  /** Resolves once the line is written (and synced, unless opened with fsync: false). */
  append(record: JournalRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("revoke journal is closed"));
    const key = journalKey(record.mode, record.namespace, record.leaseId);
    return new Promise<void>((resolve, reject) => {
      const written = (): void => {
        this.#done.set(key, record.outcome);
        resolve();
      };
      this.#pending.push({ line: JSON.stringify(record) + "\n", resolve: written, reject });
      if (!this.#flushing) this.#flushing = this.#flushLoop();
    });
  }

  async #flushLoop(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      let text = batch.map((p) => p.line).join("");
      if (this.#needsNewline) text = "\n" + text;
      try {
        await this.#fh.write(text);
        this.#needsNewline = false;
        if (this.#fsync) await this.#fh.datasync();
        for (const p of batch) p.resolve();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? String(err);
        const e = new InputError(`cannot write the revoke journal ${this.file} (${code})`);
        for (const p of batch) p.reject(e);
      }
    }
    this.#flushing = undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#flushing) await this.#flushing;
    await this.#fh.close();
  }
}
