// Where a compiled worker or thread entry is: dist/<parts> of the package, whether the caller runs
// from dist/src, from the bundle (dist/bundle/) or from src/ under vitest (which cannot load .ts
// workers: piscina's docs). Found by walking up to the package root.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** dist/<parts…> of the package; throws when it has not been built. */
export function distFile(...parts: string[]): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("cannot find the breakglass package root");
    dir = up;
  }
  const built = path.join(dir, "dist", ...parts);
  if (!fs.existsSync(built)) throw new Error(`not built: ${built} (run npm run build)`);
  return built;
}

/** A compiled worker, dist/src/<rel>. */
export function builtWorker(rel: string): string {
  return distFile("src", rel);
}
