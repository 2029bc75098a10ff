// The generated grammar files match the parser: railroad.html and the CST types are regenerated
// from the one parser instance and compared byte for byte (UPDATE_GRAMMAR=1 rewrites them).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { queryParser } from "../../src/query/query-parser.js";
import {
  CST_TYPES_PATH,
  RAILROAD_PATH,
  cstTypesSource,
  railroadHtml,
  repoRoot,
  writeGrammarFiles,
} from "../../grammar/generate-grammar.js";

const update = process.env.UPDATE_GRAMMAR === "1";

describe("generated grammar files", () => {
  it.runIf(update)("are rewritten when UPDATE_GRAMMAR=1", async () => {
    await writeGrammarFiles();
  });

  it("railroad.html is what the parser generates now", () => {
    const onDisk = readFileSync(join(repoRoot(), RAILROAD_PATH), "utf8");
    expect(onDisk, "run UPDATE_GRAMMAR=1 npx vitest run test/grammar").toBe(railroadHtml());
  });

  it("railroad.html works offline: no script or stylesheet from the network", () => {
    const html = railroadHtml();
    expect(html).not.toMatch(/<script src=/);
    expect(html).not.toMatch(/<link rel='stylesheet'/);
    expect(html).toContain("serializedGrammar");
  });

  it("railroad.html draws one diagram per rule from its inlined scripts alone", () => {
    const html = railroadHtml();
    const scripts = [...html.matchAll(/<script>\n([\s\S]*?)\n<\/script>/g)].map((m) => m[1]!);
    let drawn = "";
    const sandbox: Record<string, unknown> = {
      document: {
        getElementById: () => ({
          set innerHTML(v: string) {
            drawn = v;
          },
        }),
        getElementsByClassName: () => [],
        querySelectorAll: () => [],
        addEventListener: () => undefined,
      },
    };
    sandbox.window = sandbox;
    vm.createContext(sandbox);
    for (const script of scripts) vm.runInContext(script, sandbox);
    const rules = queryParser.getSerializedGastProductions().length;
    expect(drawn.match(/<svg/g)?.length).toBe(rules);
  });

  it("the CST types are what the parser generates now", async () => {
    const onDisk = readFileSync(join(repoRoot(), CST_TYPES_PATH), "utf8");
    expect(onDisk, "run UPDATE_GRAMMAR=1 npx vitest run test/grammar").toBe(await cstTypesSource());
  });
});
