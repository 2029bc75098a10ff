import { defineConfig } from "vitest/config";

// Tests use real LMDB, worker threads, gzip and HTTP; workers load from dist/ (built by `npm test`).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // The JSON report lets .ci/run print one "N passed, N failed" line that CI reads.
    reporters: ["default", ["json", { outputFile: "dist/test-results.json" }]],
  },
});
