// The spool: what the socket side has accepted and the indexer has not yet committed, as plain
// append-only files under <db>/spool/ (0600), one peer's lines to a file, its source (endpoint
// and peer) in a small file beside it. The socket side only appends whole lines with one
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

/** Where a spool file's source (its endpoint and peer) is kept: beside it, `spool-….source`. */
export function sourceFileOf(spoolFile: string): string {
  return spoolFile.replace(/\.log$/, ".source");
}

/** The source written beside a spool file; undefined for one spooled before sources were kept. */
export function readSpoolSource(spoolFile: string): string | undefined {
  try {
    return fs.readFileSync(sourceFileOf(spoolFile), "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Remove `.source` files whose spool file is gone (a crash between the two). Only while nothing
 * appends: a writer creates the source file just before its spool file.
 */
export function removeOrphanSources(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  const logs = new Set(names.filter((n) => NAME.test(n)));
  for (const name of names) {
    if (name.endsWith(".source") && !logs.has(name.replace(/\.source$/, ".log"))) {
      fs.rmSync(path.join(dir, name), { force: true });
    }
  }
}

/**
 * The append side (one per listener): each peer (a connection, a UDP sender) appends to files of
 * its own, so a file's records have one source (its endpoint and peer, written beside it before
 * its first line) and keep the order the peer sent them in. A peer's file is opened at its first
 * line, so a peer that sends nothing leaves nothing. Names are unique forever (sequence and start
 * time), so a spool file's path is its identity in the index even after older files were deleted.
 */
export class SpoolWriter {
  private seq: number;
  private readonly peers = new Set<PeerSpool>();
  /** Bytes appended since start. */
  appendedBytes = 0;

  constructor(
    private readonly dir: string,
    readonly rotateBytes = SPOOL_ROTATE_BYTES,
    /** A file that will not be appended to again (rotated, or its peer is done). */
    readonly onClosed: (file: string) => void = () => {},
  ) {
    ensureSpoolDir(dir);
    const last = listSpoolFiles(dir).at(-1);
    this.seq = last ? last.seq + 1 : 0;
  }

  /** The appender for one peer's lines, whose records get `source`. */
  peer(source: string): PeerSpool {
    const p = new PeerSpool(this, source);
    this.peers.add(p);
    return p;
  }

  /** A new spool file with its source beside it: [path, fd]. */
  openFile(source: string): [string, number] {
    const name = `spool-${String(this.seq).padStart(10, "0")}-${Date.now()}`;
    this.seq++;
    const file = path.join(this.dir, `${name}.log`);
    const sourceFile = sourceFileOf(file);
    fs.writeFileSync(sourceFile, source, { mode: 0o600, flag: "wx" });
    fs.chmodSync(sourceFile, 0o600);
    const fd = fs.openSync(file, "a", 0o600);
    fs.fchmodSync(fd, 0o600);
    return [file, fd];
  }

  forget(p: PeerSpool): void {
    this.peers.delete(p);
  }

  /** Close every peer's file. */
  close(): void {
    for (const p of [...this.peers]) p.close();
  }
}

/** One peer's files in the spool. */
export class PeerSpool {
  private fd = -1;
  private fileBytes = 0;
  /** The file being appended to (undefined before the first line and after close). */
  current: string | undefined;

  constructor(
    private readonly spool: SpoolWriter,
    readonly source: string,
  ) {}

  /** Append whole lines (each piece ends where a line ends, the last one with a newline). */
  append(pieces: readonly Buffer[]): void {
    let n = 0;
    for (const p of pieces) n += p.length;
    if (n === 0) return;
    if (this.current === undefined) {
      [this.current, this.fd] = this.spool.openFile(this.source);
      this.fileBytes = 0;
    }
    let written = 0;
    let parts = pieces;
    // writev may write less than asked (a signal, a full disk): continue where it stopped.
    while (written < n) {
      const w = fs.writevSync(this.fd, parts);
      written += w;
      if (written < n) parts = dropBytes(parts, w);
    }
    this.fileBytes += n;
    this.spool.appendedBytes += n;
    if (this.fileBytes >= this.spool.rotateBytes) this.closeFile();
  }

  /** Close the current file: the next line opens another (same source). */
  private closeFile(): void {
    const file = this.current;
    if (file === undefined) return;
    fs.closeSync(this.fd);
    this.fd = -1;
    this.current = undefined;
    this.spool.onClosed(file);
  }

  /** The peer is done (idempotent). */
  close(): void {
    this.closeFile();
    this.spool.forget(this);
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
