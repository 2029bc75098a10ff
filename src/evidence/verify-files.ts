// `breakglass verify`: have the indexed files changed since they were indexed? Each file is read
// again and checked, cheapest first:
//  1. its content bytes [0, doneBytes) against the SHA-256 the index recorded (the chain of
//     custody): equal means unchanged (bytes appended since are new, not a change);
//  2. when they differ, or no digest was recorded, or the file is gone: a rotated copy beside it
//     (`audit.log.1`, `audit.log.1.gz`, `audit.log-20241128.gz`) that holds the indexed content
//     is a rotation, which is not tampering, and is said so;
//  3. otherwise the entries the index holds are aligned with those the file (or the copy that
//     starts like it) holds now (line-units.ts, diff-units.ts): lines changed, removed and
//     inserted, by line number, and a truncated tail.
// Findings are data; the caller prints them. Cost: one read of each file (two when it changed),
// plus one read of the file's records from the index when it changed.
import fs from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { contentFrom, hashHead, isGzip, readHead } from "../ingest/content-stream.js";
import type { FileMeta, SegmentMeta } from "../store/format.js";
import type { IndexReader } from "../store/index-reader.js";
import { diffUnits } from "./diff-units.js";
import { contentLines, fileUnits, linesOf, unitHash, unitText } from "./line-units.js";

export type FindingKind =
  | "unchanged"
  | "rotated"
  | "changed"
  | "removed"
  | "inserted"
  | "truncated"
  | "missing"
  | "replaced"
  | "bytes-changed"
  | "unreadable"
  | "not-checked";

export interface VerifyFinding {
  readonly kind: FindingKind;
  /** The file as the index knows it (its path when last indexed). */
  readonly file: string;
  /** True when this is a change since indexing (exit 1). */
  readonly change: boolean;
  /** The file read for this finding when it is not `file` (a rotated copy). */
  readonly checked?: string | undefined;
  /** 1-based line number in the file as it is now. */
  readonly line?: number | undefined;
  /** 1-based line number the entry had when indexed (counting the lines as they were). */
  readonly indexedLine?: number | undefined;
  /** The entry as indexed, and as the file holds it now (cut to EXCERPT_CHARS). */
  readonly was?: string | undefined;
  readonly now?: string | undefined;
  readonly message: string;
}

const EXCERPT_CHARS = 160;
/** Context kept before the first difference of a changed line's excerpts. */
const CONTEXT_CHARS = 40;

/** `t` cut to EXCERPT_CHARS from `from` (marked with … where cut). */
function excerpt(t: string | undefined, from = 0): string | undefined {
  if (t === undefined) return undefined;
  const start = Math.max(0, Math.min(from, t.length - EXCERPT_CHARS));
  const end = start + EXCERPT_CHARS;
  return (start > 0 ? "…" : "") + t.slice(start, end) + (end < t.length ? "…" : "");
}

/** Where two texts first differ, less some context: the excerpts of a change show the change. */
function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return Math.max(0, i - CONTEXT_CHARS);
}

interface ContentCheck {
  /** Content bytes (decompressed). */
  readonly bytes: number;
  /** SHA-256 of the first `upTo` bytes, or undefined when there are fewer. */
  readonly prefixSha256: string | undefined;
}

/** One pass over a file's content: its length and the SHA-256 of its first `upTo` bytes. */
async function checkContent(file: string, gzip: boolean, upTo: number): Promise<ContentCheck> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const piece of contentFrom(file, gzip, 0)) {
    if (bytes < upTo) hash.update(piece.subarray(0, Math.min(piece.length, upTo - bytes)));
    bytes += piece.length;
  }
  return { bytes, prefixSha256: bytes >= upTo ? hash.digest("hex") : undefined };
}

/** Files beside `file` that a rotation may have made of it, by name order. */
export function rotatedCopies(file: string): string[] {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n !== base && [".", "-", "_"].some((sep) => n.startsWith(base + sep)))
    .sort()
    .map((n) => path.join(dir, n))
    .filter((p) => {
      try {
        return fs.statSync(p).isFile();
      } catch {
        return false;
      }
    });
}

/**
 * Whether `file` starts like the indexed file: the same head (its identity), or the same first
 * entry (the head also changes when an entry in it is edited, or the file is cut inside it).
 */
async function startsLike(
  file: string,
  gzip: boolean,
  meta: FileMeta,
  firstUnit: () => number | undefined,
): Promise<boolean> {
  try {
    const head = await readHead(file, gzip, meta.headBytes);
    if (head.length === meta.headBytes && hashHead(head) === meta.headHash) return true;
    const first = firstUnit();
    if (first === undefined) return false;
    for await (const { text } of contentLines(file, gzip)) {
      const unit = unitText(text);
      if (unit !== undefined) return unitHash(unit) === first;
    }
    return false;
  } catch {
    return false;
  }
}

/** The hash of the first unit of a file's records in the index. */
function firstIndexUnit(reader: IndexReader, fileId: number): number | undefined {
  const segment = reader.segments.find((s) => s.file === fileId && s.records > 0);
  if (segment === undefined) return undefined;
  const unit = unitText(reader.lineInSegment(segment, 0).toString("utf8").split("\n")[0]!);
  return unit === undefined ? undefined : unitHash(unit);
}

/** Consecutive `truncated` findings (the entries of a cut tail) as one. */
function groupTruncated(findings: VerifyFinding[]): VerifyFinding[] {
  const first = findings.findIndex((f) => f.kind === "truncated");
  if (first < 0) return findings;
  const tail = findings.slice(first);
  const from = tail[0]!;
  const to = tail[tail.length - 1]!;
  const where = from.checked ? `${from.checked} (rotated copy)` : from.file;
  return [
    ...findings.slice(0, first),
    {
      ...from,
      message:
        `${where}: truncated: the last ${tail.length} entries indexed are gone ` +
        `(lines ${from.indexedLine}-${to.indexedLine} when indexed)`,
    },
  ];
}

/** Each unit of the file's records as the index holds them: its hash, record id and part. */
function indexUnits(
  reader: IndexReader,
  fileId: number,
): { hashes: number[]; refs: { segment: SegmentMeta; local: number; part: number }[] } {
  const hashes: number[] = [];
  const refs: { segment: SegmentMeta; local: number; part: number }[] = [];
  for (const segment of reader.segments) {
    if (segment.file !== fileId) continue;
    for (let local = 0; local < segment.records; local++) {
      const parts = reader.lineInSegment(segment, local).toString("utf8").split("\n");
      parts.forEach((p, part) => {
        const unit = unitText(p);
        if (unit === undefined) return;
        hashes.push(unitHash(unit));
        refs.push({ segment, local, part });
      });
    }
  }
  return { hashes, refs };
}

/** Line by line: what changed between the index's records and `checked` as it is now. */
async function diffFile(
  reader: IndexReader,
  meta: FileMeta,
  checked: string,
  gzip: boolean,
): Promise<{ findings: VerifyFinding[]; common: number }> {
  const index = indexUnits(reader, meta.id);
  const units = await fileUnits(checked, gzip);
  const diff = diffUnits(
    index.hashes,
    units.map((u) => u.hash),
  );
  const other = checked === meta.path ? undefined : checked;
  const indexText = (i: number): string => {
    const r = index.refs[i]!;
    return reader.lineInSegment(r.segment, r.local).toString("utf8").split("\n")[r.part] ?? "";
  };
  type Pending = Omit<VerifyFinding, "was" | "now" | "message"> & {
    wasText?: string;
    nowLine?: number;
  };
  const pending: Pending[] = [];
  // Line numbers as indexed: a unit's current line, shifted back by what was inserted before it
  // and forward by what was removed (lines that are not entries are taken as unchanged).
  let shift = 0;
  let a = 0;
  let b = 0;
  let lastIndexed = 0;
  const lineOf = (j: number): number => units[j]!.line;
  for (const h of diff.hunks) {
    if (h.a0 > a) lastIndexed = lineOf(b + (h.a0 - a) - 1) + shift;
    const pairs = Math.min(h.a1 - h.a0, h.b1 - h.b0);
    for (let k = 0; k < pairs; k++) {
      const line = lineOf(h.b0 + k);
      lastIndexed = line + shift;
      pending.push({
        kind: "changed",
        file: meta.path,
        change: true,
        checked: other,
        line,
        indexedLine: lastIndexed,
        wasText: indexText(h.a0 + k),
        nowLine: line,
      });
    }
    for (let i = h.a0 + pairs; i < h.a1; i++) {
      lastIndexed += 1;
      shift += 1;
      pending.push({
        kind: h.b1 >= units.length && h.a1 === index.hashes.length ? "truncated" : "removed",
        file: meta.path,
        change: true,
        checked: other,
        indexedLine: lastIndexed,
        wasText: indexText(i),
      });
    }
    for (let j = h.b0 + pairs; j < h.b1; j++) {
      shift -= 1;
      pending.push({
        kind: "inserted",
        file: meta.path,
        change: true,
        checked: other,
        line: lineOf(j),
        nowLine: lineOf(j),
      });
    }
    a = h.a1;
    b = h.b1;
  }
  const wanted = new Set(pending.flatMap((p) => (p.nowLine === undefined ? [] : [p.nowLine])));
  const texts = await linesOf(checked, gzip, wanted);
  const where = other ? `${other} (rotated copy)` : meta.path;
  const differing = diff.hunks.reduce((n, h) => n + h.a1 - h.a0, 0);
  const findings = pending.map(({ nowLine, wasText, ...p }) => {
    const nowText = nowLine === undefined ? undefined : texts.get(nowLine);
    const from =
      wasText !== undefined && nowText !== undefined ? firstDifference(wasText, nowText) : 0;
    const was = excerpt(wasText, from);
    const now = excerpt(nowText, from);
    const at = p.indexedLine !== undefined && p.indexedLine !== p.line;
    const message =
      p.kind === "changed"
        ? `${where}:${p.line}: changed since indexing` +
          (at ? ` (line ${p.indexedLine} when indexed)` : "")
        : p.kind === "inserted"
          ? `${where}:${p.line}: inserted since indexing`
          : p.kind === "truncated"
            ? `${where}: truncated: the entry of line ${p.indexedLine} (when indexed) is gone`
            : `${where}: removed since indexing: the entry of line ${p.indexedLine} (when indexed)`;
    return { ...p, was, now, message };
  });
  return { findings, common: index.hashes.length - differing };
}

function finding(
  kind: FindingKind,
  meta: FileMeta,
  change: boolean,
  message: string,
  checked?: string,
): VerifyFinding {
  return { kind, file: meta.path, change, checked, message };
}

/** Check one indexed file; its findings (one `unchanged` or `rotated` when nothing changed). */
export async function verifyFile(reader: IndexReader, meta: FileMeta): Promise<VerifyFinding[]> {
  const recorded = meta.contentSha256;
  const candidates = [meta.path, ...rotatedCopies(meta.path)].filter((p) => fs.existsSync(p));
  let first: { hash: number | undefined } | undefined;
  const firstUnit = (): number | undefined =>
    (first ??= { hash: firstIndexUnit(reader, meta.id) }).hash;
  // 1 and 2: a file that holds exactly the indexed bytes.
  const startingLike: { path: string; gzip: boolean }[] = [];
  for (const p of candidates) {
    let gzip: boolean;
    try {
      gzip = isGzip(p);
      if (!(await startsLike(p, gzip, meta, firstUnit))) continue;
      startingLike.push({ path: p, gzip });
      if (recorded === undefined) continue;
      const c = await checkContent(p, gzip, meta.doneBytes);
      if (c.prefixSha256 !== recorded) continue;
      if (p === meta.path) {
        const grown = c.bytes - meta.doneBytes;
        return [
          finding(
            "unchanged",
            meta,
            false,
            `${meta.path}: unchanged (SHA-256 of the ${meta.doneBytes} bytes indexed matches)` +
              (grown > 0 ? `; ${grown} bytes appended since` : ""),
          ),
        ];
      }
      return [
        finding(
          "rotated",
          meta,
          false,
          `${meta.path}: rotated to ${p} (rotation, not tampering); the ${meta.doneBytes} bytes ` +
            "indexed are unchanged there",
          p,
        ),
      ];
    } catch (err) {
      if (p === meta.path) {
        return [finding("unreadable", meta, true, `${p}: cannot read: ${(err as Error).message}`)];
      }
    }
  }
  // 3: line by line against the file, or the copy, that starts like the indexed one.
  // Else the file at the path, if it is there: the entries it shares with the index, if any, tell
  // an edited log from another one.
  const best =
    startingLike[0] ??
    (candidates[0] === meta.path ? { path: meta.path, gzip: isGzip(meta.path) } : undefined);
  const diffed = best && (await diffFile(reader, meta, best.path, best.gzip));
  if (
    best === undefined ||
    diffed === undefined ||
    (diffed.common === 0 && startingLike.length === 0)
  ) {
    if (fs.existsSync(meta.path)) {
      return [
        finding(
          "replaced",
          meta,
          true,
          `${meta.path}: now holds another log (its start differs), and no copy beside it starts ` +
            "like the one indexed",
        ),
      ];
    }
    return [
      finding(
        "missing",
        meta,
        true,
        `${meta.path}: missing, and no copy beside it starts like it (rotated away or deleted: ` +
          "cannot be checked)",
      ),
    ];
  }
  const found = groupTruncated(diffed.findings);
  if (found.length > 0) return found;
  if (recorded === undefined) {
    const moved = best.path !== meta.path;
    return [
      finding(
        moved ? "rotated" : "unchanged",
        meta,
        false,
        (moved
          ? `${meta.path}: rotated to ${best.path} (rotation, not tampering); `
          : `${meta.path}: `) +
          "every indexed entry is unchanged (no digest was recorded: entries compared, not bytes)",
        moved ? best.path : undefined,
      ),
    ];
  }
  return [
    finding(
      "bytes-changed",
      meta,
      true,
      `${best.path}: its bytes differ from those indexed (SHA-256), but every audit entry is ` +
        "unchanged: the change is in a line that is not an entry (a prefix, a blank, a bad or " +
        "server-log line)",
      best.path === meta.path ? undefined : best.path,
    ),
  ];
}
