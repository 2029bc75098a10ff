// Where a compiled thread entry lives: worker threads always load the built dist/ file (vitest
// cannot load .ts workers), whether this code runs from dist/src, the bundle or src/ under vitest.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

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
