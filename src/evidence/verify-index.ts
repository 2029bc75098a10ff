// `breakglass verify` on an index: which indexed files to check (all, or those named: by the path
// they were indexed at, the path they have now, or a rotated copy's), each checked by
// verify-files.ts, and with a root digest given, the index itself against it (custody-report.ts).
// Records that came through `listen` have no file to read again: they are listed, not checked.
import path from "node:path";
import { isListenSource } from "../audit/record-origin.js";
import { UsageError } from "../errors.js";
import { openIndexEnv } from "../store/index-env.js";
import { IndexReader } from "../store/index-reader.js";
import type { FileMeta } from "../store/format.js";
import { checkCustody, type SegmentMismatch } from "./custody-report.js";
import { rotatedCopies, verifyFile, type VerifyFinding } from "./verify-files.js";

export interface DigestCheck {
  readonly expected: string;
  /** The root taken now: over the recorded file digests and the segments' records as stored. */
  readonly root: string;
  readonly changedSegments: readonly SegmentMismatch[];
}

export interface VerifyResult {
  readonly findings: readonly VerifyFinding[];
  readonly digest: DigestCheck | undefined;
  /** Whether anything changed: a file, a segment, or the root. */
  readonly changed: boolean;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function isListened(meta: FileMeta, dbDir: string): boolean {
  const spool = path.resolve(dbDir, "spool") + path.sep;
  return isListenSource(meta.source) || path.resolve(meta.path).startsWith(spool);
}

/** The indexed files `args` name (all when none); an argument that names none is a usage error. */
function selectFiles(files: readonly FileMeta[], args: readonly string[]): FileMeta[] {
  if (args.length === 0) return [...files];
  const chosen = new Set<FileMeta>();
  for (const arg of args) {
    const abs = path.resolve(arg);
    const hits = files.filter(
      (f) => f.path === abs || f.source === abs || rotatedCopies(f.path).includes(abs),
    );
    if (hits.length === 0) {
      throw new UsageError(`${arg} is not an indexed file`, "`breakglass stats` lists them");
    }
    for (const h of hits) chosen.add(h);
  }
  return files.filter((f) => chosen.has(f));
}

export async function verifyIndex(
  dbDir: string,
  opts: { paths?: readonly string[]; digest?: string | undefined; files?: boolean } = {},
): Promise<VerifyResult> {
  const expected = opts.digest?.toLowerCase();
  if (expected !== undefined && !SHA256_HEX.test(expected)) {
    throw new UsageError(
      `--digest ${opts.digest}: expected a SHA-256 root digest (64 hex digits)`,
      "`breakglass stats --digest` prints it",
    );
  }
  const env = openIndexEnv(dbDir, { create: false, readOnly: true });
  try {
    const reader = new IndexReader(env);
    const findings: VerifyFinding[] = [];
    if (opts.files !== false) {
      for (const meta of selectFiles(reader.files(), opts.paths ?? [])) {
        if (isListened(meta, dbDir)) {
          findings.push({
            kind: "not-checked",
            file: meta.path,
            change: false,
            message: `${meta.source ?? meta.path}: received by listen: no file to read again`,
          });
          continue;
        }
        findings.push(...(await verifyFile(reader, meta)));
      }
    }
    let digest: DigestCheck | undefined;
    if (expected !== undefined) {
      const check = checkCustody(reader);
      digest = { expected, root: check.report.root, changedSegments: check.changedSegments };
    }
    const changed =
      findings.some((f) => f.change) ||
      (digest !== undefined && (digest.root !== expected || digest.changedSegments.length > 0));
    return { findings, digest, changed };
  } finally {
    await env.close();
  }
}
