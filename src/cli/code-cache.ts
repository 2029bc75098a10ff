// Runs the CommonJS bundle of the CLI through V8 with a code cache made at build time, so a
// one-shot `breakglass query` does not recompile about 1 MB of JavaScript (chevrotain, lodash,
// commander, ours) on every run. Node 20 has no module compile cache (`module.enableCompileCache`
// is Node 22), so this is the `vm.Script` + `cachedData` mechanism it is built on. Measured on
// the 2-core VM: a whole `query 'ip = X | leases'` process, p50 of 21 runs, 194 → 141 ms.
//
// The cache is only ever a speed-up. It is used when its header names the bundle's build id (a
// random id the build writes on the bundle's first line), its length and this Node version: not
// its mtime, which npm sets to 1985 for every file it installs. V8 then checks its own flags and
// version and may still reject it (`cachedDataRejected`), and the bundle compiles as if there were
// no cache. A missing or damaged cache file is the same as none. Nothing here writes a file unless
// the build asks for it (`BREAKGLASS_CODE_CACHE=write`): a user's runs never touch the install
// directory.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";
import { crc32 } from "node:zlib";

/** What happened to the cache on this run (`BREAKGLASS_CODE_CACHE=report` prints it). */
export type CodeCacheStatus = "accepted" | "rejected" | "damaged" | "stale" | "absent";

export function codeCachePath(bundlePath: string): string {
  return `${bundlePath}.codecache`;
}

/** The bundle's first line, written by the build (train-code-cache.ts): its build id. */
export const BUILD_LINE = /^\/\/ breakglass-build ([0-9a-f]{32})\n/;

/**
 * The start of the header line that ties a cache to one build of the bundle and one Node; the
 * line goes on with the CRC-32 of V8's bytes (release builds of V8 do not checksum a code cache,
 * and a damaged one crashed the process in a test: 0.2 ms to check, ~2 ms to load zlib).
 */
function cacheKey(source: string): string | undefined {
  const id = BUILD_LINE.exec(source)?.[1];
  return id && `breakglass-code-cache 2 ${id} ${source.length} ${process.version} `;
}

/** The cache file's bytes: the header line, then V8's data. */
function cacheFile(key: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${key}${crc32(data)}\n`, "latin1"), data]);
}

function readCache(
  cachePath: string,
  key: string | undefined,
): Buffer | "damaged" | "stale" | "absent" {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(cachePath);
  } catch {
    return "absent";
  }
  if (key === undefined) return "stale"; // a bundle without a build id: no cache fits it
  const headerEnd = bytes.indexOf(0x0a);
  const header = headerEnd < 0 ? "" : bytes.toString("latin1", 0, headerEnd);
  if (!header.startsWith(key)) return "stale";
  const data = bytes.subarray(headerEnd + 1);
  return String(crc32(data)) === header.slice(key.length) ? data : "damaged";
}

/**
 * Compiles and runs `bundlePath` (a CommonJS file) in this context, as `require` would, using
 * its code cache when it fits. Returns what happened to the cache. The bundle keeps running
 * asynchronously after this returns (it is the whole CLI).
 */
export function runBundle(bundlePath: string): CodeCacheStatus {
  // A shebang line is not JavaScript; drop it as Node's own loader does.
  const source = fs.readFileSync(bundlePath, "utf8").replace(/^#!.*/, "");
  const key = cacheKey(source);
  const cachePath = codeCachePath(bundlePath);
  const cached = readCache(cachePath, key);
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    {
      filename: bundlePath,
      cachedData: typeof cached === "string" ? undefined : cached,
      // A fallback only: Node 20 loses this callback when the code comes from the cache, so the
      // bundle has no import() left (a test checks).
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    },
  );
  const status: CodeCacheStatus =
    typeof cached === "string" ? cached : script.cachedDataRejected ? "rejected" : "accepted";
  const mode = process.env.BREAKGLASS_CODE_CACHE;
  if (mode === "report") process.stderr.write(`breakglass: code cache ${status}\n`);
  if (mode === "write" && key !== undefined) {
    // At exit the cache holds every function this run compiled, not just the top level.
    process.once("exit", () => {
      fs.writeFileSync(cachePath, cacheFile(key, script.createCachedData()));
    });
  }
  const wrapper = script.runInThisContext() as (
    exports: object,
    require: NodeJS.Require,
    module: { exports: object },
    filename: string,
    dirname: string,
  ) => void;
  const module = { exports: {} };
  wrapper(module.exports, createRequire(bundlePath), module, bundlePath, path.dirname(bundlePath));
  return status;
}
