// `breakglass verify` and `stats --digest` as an operator runs them (the built bin): a log is
// indexed, then edited, cut, rotated or left alone, and verify must name what changed by line
// number (or say nothing changed), with exit 0 / 1 / 2 / 3 as README.md's "Tamper evidence" says.
// Expected line numbers and digests come from the test's own edits and from node:crypto over the
// file's bytes, never from the code under test.
import { createHash } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, test } from "vitest";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { ensureBuilt, runBin } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-verify-");
const lines = [...generateAuditLines({ seed: 11, targetBytes: 80_000, salt: "s" })];

interface Finding {
  kind: string;
  change: boolean;
  line?: number;
  indexedLine?: number;
  checked?: string;
  was?: string;
  now?: string;
}

beforeAll(async () => {
  await ensureBuilt();
  expect(lines.length).toBeGreaterThan(50); // the edits below are at lines up to 41
});

const env = (): Record<string, string> => ({ HOME: tempDir() });

/** A log of `lines`, indexed into a fresh index. */
async function indexedLog(): Promise<{ dir: string; file: string; db: string }> {
  const dir = tempDir();
  const file = path.join(dir, "audit.log");
  const db = path.join(dir, "db");
  writeFileSync(file, lines.join("\n") + "\n");
  const r = await runBin(["index", "--db", db, file], env());
  expect(r.code, r.stderr).toBe(0);
  return { dir, file, db };
}

async function verify(db: string, ...args: string[]) {
  const r = await runBin(["verify", "--db", db, "--json", ...args], env());
  const findings = r.stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Finding);
  return { ...r, findings };
}

async function rootOf(db: string): Promise<string> {
  const r = await runBin(["stats", "--db", db, "--digest", "--json"], env());
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { root: string }).root;
}

const sha256 = (bytes: Buffer | string): string => createHash("sha256").update(bytes).digest("hex");

describe("breakglass verify finds what changed in a file indexed earlier", () => {
  test("an untouched file, and one with lines appended since, report nothing wrong (exit 0)", async () => {
    const { file, db } = await indexedLog();
    const same = await verify(db);
    expect(same.code, same.stderr).toBe(0);
    expect(same.findings.map((f) => f.kind)).toEqual(["unchanged"]);
    writeFileSync(file, lines.slice(0, 3).join("\n") + "\n", { flag: "a" });
    const grown = await verify(db);
    expect(grown.code).toBe(0);
    expect(grown.findings.map((f) => f.kind)).toEqual(["unchanged"]);
  });

  test("an edited line is found, by its line number, with what it was and what it is", async () => {
    const { file, db } = await indexedLog();
    const edited = [...lines];
    const at = 7; // 0-based: line 8
    edited[at] = edited[at]!.replace(/"remote_address":"[^"]*"/, '"remote_address":"10.9.9.9"');
    expect(edited[at]).not.toBe(lines[at]);
    writeFileSync(file, edited.join("\n") + "\n");
    const r = await verify(db);
    expect(r.code, r.stderr).toBe(1);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ kind: "changed", change: true, line: at + 1 });
    expect(r.findings[0]!.now).toContain("10.9.9.9");
    expect(r.findings[0]!.was).not.toContain("10.9.9.9");
  });

  test("a removed line is found, by the line number it had when indexed", async () => {
    const { file, db } = await indexedLog();
    const at = 12;
    writeFileSync(file, lines.filter((_, i) => i !== at).join("\n") + "\n");
    const r = await verify(db);
    expect(r.code).toBe(1);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ kind: "removed", change: true, indexedLine: at + 1 });
    expect(lines[at]!.startsWith(r.findings[0]!.was!.replace(/…$/, ""))).toBe(true);
  });

  test("an inserted (forged) line is found, by its line number now", async () => {
    const { file, db } = await indexedLog();
    const forged = JSON.stringify({
      time: "2024-01-01T00:00:00Z",
      type: "request",
      request: {
        id: "forged",
        path: "secret/app1/db",
        operation: "read",
        remote_address: "10.1.1.1",
      },
    });
    const at = 20;
    writeFileSync(file, [...lines.slice(0, at), forged, ...lines.slice(at)].join("\n") + "\n");
    const r = await verify(db);
    expect(r.code).toBe(1);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ kind: "inserted", change: true, line: at + 1 });
    expect(r.findings[0]!.now).toContain('"forged"');
  });

  test("an edit, a removal and an insertion in one file are each found", async () => {
    const { file, db } = await indexedLog();
    const out = [...lines];
    out[30] = out[30]!.replace('"type":"', '"type":"x');
    out.splice(40, 1); // removes line 41
    out.splice(5, 0, lines[2]!); // a copy of line 3 inserted as line 6
    writeFileSync(file, out.join("\n") + "\n");
    const r = await verify(db);
    expect(r.code).toBe(1);
    const got = r.findings.map((f) => [f.kind, f.line ?? f.indexedLine]);
    // Line 31 is now line 32 (one line was inserted before it); line 41 was removed.
    expect(got).toEqual([
      ["inserted", 6],
      ["changed", 32],
      ["removed", 41],
    ]);
  });

  test("a truncated file reports its cut tail", async () => {
    const { file, db } = await indexedLog();
    const keep = 10;
    writeFileSync(file, lines.slice(0, keep).join("\n") + "\n");
    const r = await verify(db);
    expect(r.code).toBe(1);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ kind: "truncated", indexedLine: keep + 1 });
  });

  test("a file only rotated and gzipped reports nothing wrong, and says it is a rotation", async () => {
    const { dir, file, db } = await indexedLog();
    const rotated = path.join(dir, "audit.log.1.gz");
    writeFileSync(rotated, gzipSync(readFileSync(file)));
    writeFileSync(file, lines.slice(0, 2).join("\n") + "\n"); // the new log after rotation
    const r = await runBin(["verify", "--db", db], env());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`rotated to ${rotated} (rotation, not tampering)`);
    const j = await verify(db);
    expect(j.findings).toMatchObject([{ kind: "rotated", change: false, checked: rotated }]);
  });

  test("a rotated copy that was tampered with is checked line by line", async () => {
    const { dir, file, db } = await indexedLog();
    const edited = [...lines];
    edited[3] = edited[3]!.replace('"type":"', '"type":"y');
    renameSync(file, path.join(dir, "audit.log.1"));
    writeFileSync(path.join(dir, "audit.log.1"), edited.join("\n") + "\n");
    const r = await verify(db);
    expect(r.code).toBe(1);
    expect(r.findings).toMatchObject([
      { kind: "changed", line: 4, checked: path.join(dir, "audit.log.1") },
    ]);
  });

  test("a file gone with no copy beside it is missing (exit 1)", async () => {
    const { dir, file, db } = await indexedLog();
    renameSync(file, path.join(dir, "elsewhere"));
    const r = await verify(db);
    expect(r.code).toBe(1);
    expect(r.findings).toMatchObject([{ kind: "missing", change: true }]);
  });

  test("verify PATH checks only that file; a path not indexed is a usage error (exit 2)", async () => {
    const { dir, file, db } = await indexedLog();
    const r = await verify(db, file);
    expect(r.code).toBe(0);
    const bad = await runBin(["verify", "--db", db, path.join(dir, "nope.log")], env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/nope\.log is not an indexed file/);
  });

  test("no index is exit 3", async () => {
    const r = await runBin(["verify", "--db", path.join(tempDir(), "none")], env());
    expect(r.code).toBe(3);
  });
});

describe("stats --digest: the chain of custody", () => {
  test("a file's digest is the SHA-256 of its bytes, and the root is stable across runs and indexes", async () => {
    const { file, db } = await indexedLog();
    const r = await runBin(["stats", "--db", db, "--digest", "--json"], env());
    const c = JSON.parse(r.stdout) as {
      root: string;
      files: { sha256: string; bytes: number }[];
      segments: { sha256: string }[];
    };
    expect(c.files).toEqual([
      expect.objectContaining({
        sha256: sha256(readFileSync(file)),
        bytes: readFileSync(file).length,
      }),
    ]);
    expect(c.segments.every((s) => /^[0-9a-f]{64}$/.test(s.sha256))).toBe(true);
    // The root is SHA-256 over the sorted `file <hex>` and `segment <hex>` lines (README.md).
    const text = [
      ...c.files.map((f) => `file ${f.sha256}`),
      ...c.segments.map((s) => `segment ${s.sha256}`),
    ]
      .sort()
      .map((l) => l + "\n")
      .join("");
    expect(c.root).toBe(sha256(text));
    expect(await rootOf(db)).toBe(c.root);
    const again = await indexedLog();
    expect(await rootOf(again.db)).toBe(c.root);
  });

  test("the root changes when any indexed byte changes", async () => {
    const { db } = await indexedLog();
    const dir = tempDir();
    const file = path.join(dir, "audit.log");
    const text = lines.join("\n") + "\n";
    const at = text.indexOf("sys/");
    writeFileSync(file, text.slice(0, at) + "Sys/" + text.slice(at + 4));
    const other = path.join(dir, "db");
    expect((await runBin(["index", "--db", other, file], env())).code).toBe(0);
    expect(await rootOf(other)).not.toBe(await rootOf(db));
  });

  test("a file indexed in two runs has the digest of its bytes, as if indexed at once", async () => {
    const dir = tempDir();
    const file = path.join(dir, "audit.log");
    const db = path.join(dir, "db");
    writeFileSync(file, lines.slice(0, 20).join("\n") + "\n");
    expect((await runBin(["index", "--db", db, file], env())).code).toBe(0);
    writeFileSync(file, lines.slice(20).join("\n") + "\n", { flag: "a" });
    expect((await runBin(["index", "--db", db, file], env())).code).toBe(0);
    const c = JSON.parse((await runBin(["stats", "--db", db, "--digest", "--json"], env())).stdout);
    expect(c.files[0].sha256).toBe(sha256(readFileSync(file)));
  });

  test("index refuses to go on with a file whose indexed bytes changed (exit 3)", async () => {
    const { file, db } = await indexedLog();
    const edited = [...lines];
    // One hex digit of an HMAC changed: the same length, so the file still ends as indexed.
    const at = edited[9]!.indexOf("hmac-sha256:") + 12;
    const digit = edited[9]![at] === "0" ? "1" : "0";
    edited[9] = edited[9]!.slice(0, at) + digit + edited[9]!.slice(at + 1);
    writeFileSync(file, edited.join("\n") + "\n" + lines[0] + "\n");
    const r = await runBin(["index", "--db", db, file], env());
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/changed since they were indexed/);
  });

  test("verify --digest: the root given matches (0), another does not (1), bad text is exit 2", async () => {
    const { db } = await indexedLog();
    const root = await rootOf(db);
    const ok = await runBin(["verify", "--db", db, "--digest", root, "--index-only"], env());
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`root digest ${root}: matches`);
    const other = "0".repeat(64);
    const bad = await runBin(["verify", "--db", db, "--digest", other], env());
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/does NOT match/);
    const usage = await runBin(["verify", "--db", db, "--digest", "abc"], env());
    expect(usage.code).toBe(2);
  });
});
