// `breakglass demo` through the built bin (the README's first quick-start command runs it on a
// 50 MB log): it writes a sample log, indexes it, runs every scenario and finds what was planted.
import { existsSync } from "node:fs";
import path from "node:path";
import { beforeAll, expect, test } from "vitest";
import { ensureBuilt, runBin } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-e2e-demo-");

beforeAll(ensureBuilt, 120_000);

test("the demo finds every planted incident and exits 0", async () => {
  const dir = tempDir();
  const run = await runBin(["demo", "--mb", "3", "--dir", dir], {});
  expect(run.stderr).toBe("");
  expect(run.stdout).toMatch(/^(\d+) of \1 scenarios found what was planted\./m);
  expect(run.stdout).not.toMatch(/✗/);
  expect(run.code).toBe(0);
  expect(existsSync(path.join(dir, "vault-audit.log"))).toBe(true);
}, 60_000);
