// The spool: what the socket side has accepted and the indexer has not yet committed, as plain
// append-only files under <db>/spool/ (0600). The socket side only appends whole lines with one
// write per received batch (no fsync: the page cache survives kill -9 of the process); each spool
// file is then an ordinary log file to the indexer, registered by path, so its committed
// doneBytes is the crash-safe resume point. Never blocks on the indexer; never drops data.
import fs from "node:fs";
import path from "node:path";

/** A new spool file every 64 MiB: fully indexed files are deleted, so the spool shrinks soon. */
export const SPOOL_ROTATE_BYTES = 64 << 20;
/** Warn (loudly, but keep accepting) when the spool holds more than this: the indexer lags. */
export const SPOOL_WARN_BYTES = 1 << 30;

const NAME = /^spool-(\d{10})-(\d+)\.log$/;

export function spoolDirOf(dbDir: string): string {
  return path.join(dbDir, "spool");
}

export function ensureSpoolDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

export interface SpoolFile {
  readonly path: string;
  readonly seq: number;
  readonly bytes: number;
}

/** The spool files in the order they were written. */
export function listSpoolFiles(dir: string): SpoolFile[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: SpoolFile[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m) continue;
    const file = path.join(dir, name);
    try {
      out.push({ path: file, seq: Number(m[1]), bytes: fs.statSync(file).size });
    } catch {
      // deleted between readdir and stat
    }
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/**
 * The append side (one per listener). Names are unique forever (sequence and start time), so a
 * spool file's path is its identity in the index even after older files were deleted.
 */
export class SpoolWriter {
  private fd = -1;
  private fileBytes = 0;
  private seq: number;
  current = "";
  /** Bytes appended since start. */
  appendedBytes = 0;

  constructor(
    private readonly dir: string,
    private readonly rotateBytes = SPOOL_ROTATE_BYTES,
    private readonly onRotate: (closed: string, opened: string) => void = () => {},
  ) {
    ensureSpoolDir(dir);
    const last = listSpoolFiles(dir).at(-1);
    this.seq = last ? last.seq + 1 : 0;
    this.open();
  }

  private open(): void {
    const name = `spool-${String(this.seq).padStart(10, "0")}-${Date.now()}.log`;
    this.seq++;
    this.current = path.join(this.dir, name);
    this.fd = fs.openSync(this.current, "a", 0o600);
    fs.fchmodSync(this.fd, 0o600);
    this.fileBytes = 0;
  }

  /** Append whole lines (each piece ends where a line ends, the last one with a newline). */
  append(pieces: readonly Buffer[]): void {
    let n = 0;
    for (const p of pieces) n += p.length;
    if (n === 0) return;
    let written = 0;
    let parts = pieces;
    // writev may write less than asked (a signal, a full disk): continue where it stopped.
    while (written < n) {
      const w = fs.writevSync(this.fd, parts);
      written += w;
      if (written < n) parts = dropBytes(parts, w);
    }
    this.fileBytes += n;
    this.appendedBytes += n;
    if (this.fileBytes >= this.rotateBytes) this.rotate();
  }

  rotate(): void {
    const closed = this.current;
    fs.closeSync(this.fd);
    this.open();
    this.onRotate(closed, this.current);
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

function dropBytes(parts: readonly Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const p of parts) {
    if (n >= p.length) {
      n -= p.length;
      continue;
    }
    out.push(n > 0 ? p.subarray(n) : p);
    n = 0;
  }
  return out;
}
