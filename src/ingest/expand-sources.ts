// Command-line PATH arguments → the files to index: files as given, directories recursed, globs
// expanded (tinyglobby). Missing paths are input errors; nothing is read here.
import fs from "node:fs";
import path from "node:path";
import { globSync, isDynamicPattern } from "tinyglobby";
import { InputError } from "../errors.js";

function walk(dir: string, out: string[]): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue; // .breakglass and friends
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.isFile()) out.push(full);
  }
}

/** Absolute file paths, deduplicated, in a stable order (by name within each argument). */
export function expandSources(args: readonly string[], excludeDir?: string): string[] {
  const out: string[] = [];
  for (const arg of args) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(arg);
    } catch {
      stat = undefined;
    }
    if (stat?.isFile()) {
      out.push(path.resolve(arg));
    } else if (stat?.isDirectory()) {
      const found: string[] = [];
      walk(path.resolve(arg), found);
      out.push(...found.sort());
    } else if (isDynamicPattern(arg)) {
      const found = globSync(arg, { absolute: true, onlyFiles: true, dot: false });
      if (found.length === 0) throw new InputError(`no file matches ${arg}`);
      out.push(...found.sort());
    } else {
      throw new InputError(`no such file or directory: ${arg}`);
    }
  }
  const exclude = excludeDir ? path.resolve(excludeDir) + path.sep : undefined;
  return [...new Set(out)].filter((f) => !exclude || !f.startsWith(exclude));
}
