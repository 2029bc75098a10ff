// `index --follow` on a container log while the runtime is still writing a long line's parts:
// when the file ends inside a Docker or CRI record split into parts (a Docker `log` not ending in
// `\n`, a CRI `P` without its `F`, or the last part half written), the follower waits and reads the
// record again, whole, once the rest is there: no bad line, no lost or doubled record, and the line
// numbers of what follows stay right. A real growing file, stepped between writes.
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { recordEntry } from "../../src/audit/framing/record-json.js";
import { openIndex } from "../../src/index-api.js";
import { Indexer, indexFiles } from "../../src/ingest/index-files.js";
import { FileFollower, type FollowStep } from "../../src/live/follow-file.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { entryLine } from "./live-helpers.js";

const tempDir = tempDirs("bg-follow-parts-");
const open: Indexer[] = [];
afterEach(async () => {
  for (const ix of open.splice(0)) await ix.close();
});

const PART_CHARS = 4096;

function parts(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += PART_CHARS) out.push(text.slice(i, i + PART_CHARS));
  return out;
}

/** A record's lines in a framing: Docker json-file or CRI, split every PART_CHARS. */
const FRAME: Record<string, (line: string) => string[]> = {
  docker: (line) =>
    parts(line + "\n").map((log) =>
      JSON.stringify({ log, stream: "stdout", time: "2026-11-29T10:00:00Z" }),
    ),
  cri: (line) => {
    const ps = parts(line);
    return ps.map((p, j) => `2026-11-29T10:00:00.1Z stdout ${j < ps.length - 1 ? "P" : "F"} ${p}`);
  },
};

async function setup() {
  const dir = tempDir();
  const log = path.join(dir, "container.log");
  const db = path.join(dir, "db");
  const indexer = await Indexer.open(db, { workers: 1 });
  open.push(indexer);
  return { log, db, follower: new FileFollower(indexer, log) };
}

async function indexedRequestIds(db: string): Promise<string[]> {
  const ix = openIndex(db);
  try {
    const out: string[] = [];
    for (let id = 0; id < ix.recordCount; id++) {
      out.push(recordEntry<{ request: { id: string } }>(ix.line(id)).request.id);
    }
    return out;
  } finally {
    await ix.close();
  }
}

const bad = (steps: FollowStep[]) =>
  steps.flatMap((s) =>
    s.summaries.flatMap((x) => x.firstBadLines.map((b) => `${b.line}: ${b.reason}`)),
  );

describe.each(Object.keys(FRAME))("index --follow on a %s log", (name) => {
  const frame = FRAME[name]!;

  test("a record whose last part is not written yet is waited for, then indexed once", async () => {
    const t = await setup();
    const before = entryLine("before", { pad: 50 });
    const long = entryLine("long", { pad: 3 * PART_CHARS });
    const after = entryLine("after", { pad: 50 });
    const longLines = frame(long);
    expect(longLines.length).toBeGreaterThan(3);
    const steps: FollowStep[] = [];

    fs.writeFileSync(
      t.log,
      frame(before).join("\n") + "\n" + longLines.slice(0, 2).join("\n") + "\n",
    );
    steps.push(await t.follower.step());
    expect(await indexedRequestIds(t.db)).toEqual(["before"]);

    // The next part half written (no newline yet).
    const third = longLines[2]!;
    fs.appendFileSync(t.log, third.slice(0, 100));
    steps.push(await t.follower.step());
    expect(await indexedRequestIds(t.db)).toEqual(["before"]);

    fs.appendFileSync(t.log, [third.slice(100), ...longLines.slice(3, -1)].join("\n") + "\n");
    steps.push(await t.follower.step());
    expect(await indexedRequestIds(t.db)).toEqual(["before"]);

    fs.appendFileSync(t.log, longLines.at(-1)! + "\n" + frame(after).join("\n") + "\n");
    steps.push(await t.follower.step());
    steps.push(await t.follower.step());
    expect(await indexedRequestIds(t.db)).toEqual(["before", "long", "after"]);
    expect(bad(steps)).toEqual([]);

    const ix = openIndex(t.db);
    try {
      expect(ix.line(1).toString("utf8")).toBe(longLines.join("\n"));
      expect(ix.stats({ badLines: true }).badLines).toBe(0);
    } finally {
      await ix.close();
    }
    // A bad line after it is numbered as in the file.
    fs.appendFileSync(t.log, "{not json\n");
    const s = await t.follower.step();
    expect(bad([s]).map((b) => b.split(":")[0])).toEqual([String(longLines.length + 3)]);
  });

  test("index (not following) of a log that ends inside a record says so in a note, and reads it next run", async () => {
    const dir = tempDir();
    const log = path.join(dir, "container.log");
    const db = path.join(dir, "db");
    const long = frame(entryLine("long", { pad: 2 * PART_CHARS }));
    fs.writeFileSync(log, long.slice(0, -1).join("\n") + "\n");
    const first = await indexFiles(db, [log], { workers: 1 });
    expect(first).toMatchObject({ records: 0, badLines: 0 });
    expect(first.notes).toEqual([
      `${log}: ends inside a Docker or CRI line split into parts (its last part is not written yet); it is read again next run`,
    ]);
    fs.appendFileSync(log, long.at(-1)! + "\n");
    const second = await indexFiles(db, [log], { workers: 1 });
    expect(second).toMatchObject({ records: 1, badLines: 0, notes: [] });
    expect(await indexedRequestIds(db)).toEqual(["long"]);
  });
});
