// The last build step (`npm run build`): gives dist/bundle/breakglass.cjs a new build id, then
// makes dist/bundle/breakglass.cjs.codecache for it by running a
// typical one-shot query through the bin with BREAKGLASS_CODE_CACHE=write, so the cache holds the
// functions a query compiles (the CLI, the parser, the planner, the reader, the output), not only
// the bundle's top level. It indexes a small generated log in a temp dir, which it removes.
// A failure here fails the build: a missing cache would only make the bin slower, but a bin that
// cannot index and query a sample log is broken.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writeAuditLog } from "../demo/generate-log.js";
import { BUILD_LINE, codeCachePath } from "./code-cache.js";

/** dist/src/cli/ → the package root. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const BIN = path.join(ROOT, "dist", "bundle", "main.mjs");
const BUNDLE = path.join(ROOT, "dist", "bundle", "breakglass.cjs");

function runBin(args: string[], env: NodeJS.ProcessEnv): void {
  const run = spawnSync(process.execPath, [BIN, ...args], { env, encoding: "utf8" });
  if (run.status !== 0) {
    throw new Error(`breakglass ${args.join(" ")} exited ${run.status}:\n${run.stderr}`);
  }
}

/**
 * Gives the bundle a new build id on its first line (in place of its shebang, which only an
 * executable needs), so the cache made next fits this bundle and no other.
 */
function stampBundle(bundlePath: string): void {
  const id = randomBytes(16).toString("hex");
  const source = readFileSync(bundlePath, "utf8")
    .replace(/^#!.*\n/, "")
    .replace(BUILD_LINE, "");
  writeFileSync(bundlePath, `// breakglass-build ${id}\n${source}`);
}

stampBundle(BUNDLE);
const dir = mkdtempSync(path.join(os.tmpdir(), "bg-code-cache-"));
try {
  const log = path.join(dir, "audit.log");
  await writeAuditLog(log, { seed: 1, targetBytes: 200_000, salt: "train" });
  const db = path.join(dir, "db");
  const env = { ...process.env };
  delete env.BREAKGLASS_CODE_CACHE;
  runBin(["index", "--db", db, log], env);
  runBin(["query", "--db", db, 'ip in 10.0.0.0/8 and not op = "read" | leases'], {
    ...env,
    BREAKGLASS_CODE_CACHE: "write",
  });
  const bytes = statSync(codeCachePath(BUNDLE)).size;
  console.log(`code cache: ${(bytes / 1024).toFixed(0)} KiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
