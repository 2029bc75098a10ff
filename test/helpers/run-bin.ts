// Runs the built bin (dist/bundle/main.mjs, the package's `breakglass`) the way an operator does:
// a child process with a clean environment (only PATH plus what the test passes, so no stray
// VAULT_* or BREAKGLASS_* from the developer's shell), stdin closed after `input`, and stdout,
// stderr and the exit code collected. `runPipeline` runs a bash pipeline with `pipefail`, for
// `breakglass query … | breakglass revoke …`. Builds once (`npm run build`) if the bundle is missing.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const BIN = path.join(ROOT, "dist/bundle/main.mjs");

export interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function childEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? "", ...env };
}

/** Starts `breakglass ARGS…`; stdin gets `input` (or nothing) and is closed. */
export function startBin(
  args: readonly string[],
  env: Record<string, string>,
  input?: string,
): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin?.end(input ?? "");
  return child;
}

/** Collects a child's output until it exits. */
export function finishBin(child: ChildProcess): Promise<BinResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

export function runBin(
  args: readonly string[],
  env: Record<string, string>,
  input?: string,
): Promise<BinResult> {
  return finishBin(startBin(args, env, input));
}

/**
 * Runs `script` in bash with `set -o pipefail`, where the shell function `breakglass` runs the
 * bundle and "$1", "$2", … are `args` (so nothing needs shell quoting).
 * Example: runPipeline('breakglass query --db "$1" "$2" | breakglass revoke --yes', [db, q], env).
 */
export function runPipeline(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<BinResult> {
  const prelude = 'set -o pipefail; breakglass() { "$BG_NODE" "$BG_BIN" "$@"; }';
  const child = spawn("bash", ["-c", `${prelude}; ${script}`, "bash", ...args], {
    cwd: ROOT,
    env: { ...childEnv(env), BG_NODE: process.execPath, BG_BIN: BIN },
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin?.end();
  return finishBin(child);
}

/** Builds the package (tsc + bundle) when the bundle is missing; a no-op after `npm run build`. */
export async function ensureBuilt(): Promise<void> {
  if (existsSync(BIN)) return;
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = await finishBin(
    spawn(npm, ["run", "build", "--silent"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] }),
  );
  if (r.code !== 0 || !existsSync(BIN)) {
    throw new Error(`npm run build failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  }
}
