// Runs the CommonJS bundle of the CLI through V8 with a code cache made at build time, so a
// one-shot `breakglass query` does not recompile about 1 MB of JavaScript (chevrotain, lodash,
// commander, ours) on every run. Node 20 has no module compile cache (`module.enableCompileCache`
// is Node 22), so this is the `vm.Script` + `cachedData` mechanism it is built on. Measured on
// the 2-core VM: a whole `query 'ip = X | leases'` process, p50 of 21 runs, 194 → 141 ms.
//
// The cache is only ever a speed-up. It is used when its header names the bundle's exact size
// and mtime and this Node version; V8 then checks its own flags and version and may still reject
// it (`cachedDataRejected`), and the bundle compiles as if there were no cache. A missing or
// damaged cache file is the same as none. Nothing here writes a file unless the build asks for it
// (`BREAKGLASS_CODE_CACHE=write`): a user's runs never touch the install directory.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";

/** What happened to the cache on this run (`BREAKGLASS_CODE_CACHE=report` prints it). */
export type CodeCacheStatus = "accepted" | "rejected" | "stale" | "absent";

export function codeCachePath(bundlePath: string): string {
  return `${bundlePath}.codecache`;
}

/** One header line that ties a cache to one build of the bundle and one Node. */
function cacheHeader(bundle: fs.Stats): string {
  return `breakglass-code-cache 1 ${bundle.size} ${bundle.mtimeMs} ${process.version}\n`;
}

function readCache(cachePath: string, header: string): Buffer | "stale" | "absent" {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(cachePath);
  } catch {
    return "absent";
  }
  const headerBytes = Buffer.byteLength(header);
  if (bytes.length <= headerBytes || bytes.toString("latin1", 0, headerBytes) !== header) {
    return "stale";
  }
  return bytes.subarray(headerBytes);
}

/**
 * Compiles and runs `bundlePath` (a CommonJS file) in this context, as `require` would, using
 * its code cache when it fits. Returns what happened to the cache. The bundle keeps running
 * asynchronously after this returns (it is the whole CLI).
 */
export function runBundle(bundlePath: string): CodeCacheStatus {
  const stats = fs.statSync(bundlePath);
  const header = cacheHeader(stats);
  const cachePath = codeCachePath(bundlePath);
  const cached = readCache(cachePath, header);
  // The shebang line is not JavaScript; drop it as Node's own loader does.
  const source = fs.readFileSync(bundlePath, "utf8").replace(/^#!.*/, "");
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    {
      filename: bundlePath,
      cachedData: typeof cached === "string" ? undefined : cached,
      // The bundle keeps `import()` for the ESM-only packages it loads lazily (piscina).
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    },
  );
  const status: CodeCacheStatus =
    typeof cached === "string" ? cached : script.cachedDataRejected ? "rejected" : "accepted";
  const mode = process.env.BREAKGLASS_CODE_CACHE;
  if (mode === "report") process.stderr.write(`breakglass: code cache ${status}\n`);
  if (mode === "write") {
    // At exit the cache holds every function this run compiled, not just the top level.
    process.once("exit", () => {
      fs.writeFileSync(cachePath, Buffer.concat([Buffer.from(header), script.createCachedData()]));
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
