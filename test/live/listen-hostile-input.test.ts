// `breakglass listen` on what a hostile or unusual device sends: an entry longer than
// --max-line-bytes is one bad line of its spool file while the entries around it are indexed
// once; a log_raw stream (plaintext client tokens) is indexed with one warning per run.
import path from "node:path";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  entryLine,
  exactlyOnce,
  indexedIds,
  sendLines,
  startListen,
  waitFor,
} from "./live-helpers.js";

const tempDir = tempDirs("bg-listen-hostile-");

describe("breakglass listen", () => {
  test("an entry past --max-line-bytes is reported and skipped; the others are indexed once", async () => {
    const db = path.join(tempDir(), "db");
    const l = await startListen(db, ["--tcp", "127.0.0.1:0", "--max-line-bytes", "1048576"]);
    const before = Array.from({ length: 20 }, (_, i) => entryLine(`b-${i}`, { pad: 100 }));
    const after = Array.from({ length: 20 }, (_, i) => entryLine(`a-${i}`, { pad: 100 }));
    const long = entryLine("long", { pad: 3 << 20 });
    await sendLines({ port: l.tcpPort! }, [...before, long, ...after], 64 << 10);
    await waitFor("the entries around it", async () => (await indexedIds(db)).length === 40);
    l.proc.kill("SIGTERM");
    expect(await l.exited).toBe(0);
    const ids = [...before, ...after].map((x) => JSON.parse(x).request.id as string);
    expect(exactlyOnce(await indexedIds(db), ids)).toEqual({ missing: [], duplicated: [] });
    expect(await indexedIds(db)).toHaveLength(40);
    expect(l.stderr).toMatch(
      new RegExp(
        `spool-\\d+-\\d+\\.log:21: line longer than 1 MiB \\(${long.length} bytes\\), skipped`,
      ),
    );
  });

  test("plaintext client tokens are indexed, with one warning however many arrive", async () => {
    const db = path.join(tempDir(), "db");
    const l = await startListen(db, ["--tcp", "127.0.0.1:0"]);
    const raw = (id: string): string =>
      JSON.stringify({ type: "request", request: { id, client_token: `hvs.${id}` } });
    await sendLines({ port: l.tcpPort! }, ["r1", "r2"].map(raw));
    await waitFor("the first entries", async () => (await indexedIds(db)).length === 2);
    await sendLines({ port: l.tcpPort! }, ["r3", "r4"].map(raw));
    await waitFor("the next entries", async () => (await indexedIds(db)).length === 4);
    l.proc.kill("SIGTERM");
    expect(await l.exited).toBe(0);
    expect(l.stderr.match(/plaintext tokens/g)).toHaveLength(1);
    expect(l.stderr).toContain(
      "the stream holds plaintext tokens (a log_raw audit device): the index now holds live secrets",
    );
  });
});
