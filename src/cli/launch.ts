#!/usr/bin/env node
// The `breakglass` bin (bundled to dist/bundle/main.mjs): runs the CLI bundle next to it,
// dist/bundle/breakglass.cjs, with its build-time code cache (code-cache.ts says why). It imports
// nothing else, so it costs about a millisecond before the CLI starts.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runBundle } from "./code-cache.js";

runBundle(path.join(path.dirname(fileURLToPath(import.meta.url)), "breakglass.cjs"));
