// Where do the benchmark's throwaway indexes live, and who removes them? Every temp dir made here
// is removed by `removeAll()`, and at the latest when the process exits (run.ts turns Ctrl-C and
// SIGTERM into an exit after killing its children), so no run leaves a db behind.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export class TempDirs {
  private readonly dirs = new Set<string>();

  constructor() {
    process.once("exit", () => this.removeAll());
  }

  make(prefix: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), `bg-bench-${prefix}-`));
    this.dirs.add(dir);
    return dir;
  }

  remove(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
    this.dirs.delete(dir);
  }

  removeAll(): void {
    for (const dir of [...this.dirs]) this.remove(dir);
  }
}
