// What `breakglass verify` prints: one line per finding on stdout (`file:line: what`, with the
// entry as it was and as it is now), or with --json one NDJSON object per finding; the digest
// check and a summary on stderr. Exit 1 when anything changed (README.md, "Tamper evidence").
import { ExitCode, UsageError } from "../errors.js";
import { verifyIndex } from "../evidence/verify-index.js";

export interface VerifyFlags {
  digest?: string;
  json?: boolean;
  /** False with --index-only: check the index against --digest, not the files. */
  files?: boolean;
}

export async function runVerify(dbDir: string, paths: string[], flags: VerifyFlags): Promise<void> {
  if (flags.files === false && flags.digest === undefined) {
    throw new UsageError("--index-only checks the index against --digest: give --digest too");
  }
  const result = await verifyIndex(dbDir, {
    paths,
    digest: flags.digest,
    files: flags.files !== false,
  });
  const out = process.stdout;
  const err = process.stderr;
  for (const f of result.findings) {
    if (flags.json) {
      out.write(JSON.stringify(f) + "\n");
      continue;
    }
    out.write(f.message + "\n");
    if (f.was !== undefined) out.write(`  was: ${f.was}\n`);
    if (f.now !== undefined) out.write(`  now: ${f.now}\n`);
  }
  const d = result.digest;
  if (d !== undefined) {
    for (const s of d.changedSegments) {
      const line = `segment #${s.id} (file #${s.file}): its stored records changed since they were written`;
      if (flags.json)
        out.write(JSON.stringify({ kind: "segment-changed", change: true, ...s }) + "\n");
      else out.write(line + "\n");
    }
    const same = d.root === d.expected;
    if (flags.json) {
      out.write(
        JSON.stringify({ kind: "root", change: !same, expected: d.expected, root: d.root }) + "\n",
      );
    } else {
      out.write(
        same
          ? `root digest ${d.root}: matches\n`
          : `root digest ${d.root}: does NOT match ${d.expected}\n`,
      );
    }
  }
  const changes = result.findings.filter((f) => f.change).length;
  const rotated = result.findings.filter((f) => f.kind === "rotated").length;
  const files = new Set(result.findings.map((f) => f.file)).size;
  err.write(
    (flags.files === false ? "index only" : `verified ${files} files`) +
      ": " +
      (changes === 0 ? "no change since indexing" : `${changes} changes since indexing`) +
      (rotated > 0 ? `, ${rotated} rotated (rotation is not tampering)` : "") +
      (d === undefined
        ? ""
        : d.root === d.expected && d.changedSegments.length === 0
          ? "; index matches the digest"
          : "; index does NOT match the digest") +
      "\n",
  );
  if (result.changed) process.exitCode = ExitCode.noMatch;
}
