// `listen --device` and `index --follow --device` label what they index: field `device`, and
// field `source` says where it came from (the listener's address, or the followed file).
import fs from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { openIndex } from "../../src/index-api.js";
import { runQuery } from "../../src/query/run-query.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { entryLine, recordCount, runBin, sendLines, startListen, waitFor } from "./live-helpers.js";

const tempDir = tempDirs("bg-live-origin-");

/** `* | count by F` as value → count. */
async function countBy(db: string, field: string): Promise<Record<string, number>> {
  const ix = openIndex(db);
  try {
    const out: Record<string, number> = {};
    for await (const item of (await runQuery(ix.engine, `* | count by ${field}`)).items) {
      if (item.kind === "group") out[String(item.value)] = item.count;
    }
    return out;
  } finally {
    await ix.close();
  }
}

describe("live indexing labels its records", () => {
  test("listen --device: every record has the device and the listener as its source", async () => {
    const db = path.join(tempDir(), "db");
    const l = await startListen(db, ["--tcp", "127.0.0.1:0", "--device", "vault-2"]);
    const lines = Array.from({ length: 25 }, (_, i) => entryLine(`req-${i}`));
    await sendLines({ port: l.tcpPort! }, lines);
    await waitFor("all indexed", async () => (await recordCount(db)) >= lines.length);
    l.proc.kill("SIGTERM");
    expect(await l.exited).toBe(0);
    expect(await countBy(db, "device")).toEqual({ "vault-2": lines.length });
    expect(await countBy(db, "source")).toEqual({
      [`listen tcp 127.0.0.1:${l.tcpPort}`]: lines.length,
    });
  });

  test("index --follow --device: the followed file's records carry the label", async () => {
    const dir = tempDir();
    const db = path.join(dir, "db");
    const file = path.join(dir, "audit.log");
    fs.writeFileSync(
      file,
      Array.from({ length: 10 }, (_, i) => entryLine(`f-${i}`) + "\n").join(""),
    );
    const f = runBin(["index", "--follow", "--db", db, "--device", "file-1", file]);
    await waitFor("first lines indexed", async () => (await recordCount(db)) >= 10);
    fs.appendFileSync(file, entryLine("f-late") + "\n");
    await waitFor("the appended line indexed", async () => (await recordCount(db)) >= 11);
    f.proc.kill("SIGTERM");
    await f.exited;
    expect(await countBy(db, "device")).toEqual({ "file-1": 11 });
    expect(await countBy(db, "source")).toEqual({ [file]: 11 });
  });
});
