// Temporary directories for tests that need real files (logs, LMDB indexes): each test file makes
// its own under the OS temp dir and removes them all when it ends, so runs never share state.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

/**
 * A factory of fresh directories, removed after the calling test file's last test.
 * Call it at the top level of a test file: `const tempDir = tempDirs("bg-ingest-")`.
 */
export function tempDirs(prefix: string): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
