// Strict recognition: a server's own log lines (hclog JSON and text) between audit entries are
// skipped, not bad lines and never records; a directory's file with no entry up front is skipped.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { openIndex } from "../../../src/index-api.js";
import { indexFiles } from "../../../src/ingest/index-files.js";
import { tempDirs } from "../../helpers/temp-dir.js";

const tempDir = tempDirs("bg-mixed-");

const entry = (i: number): string =>
  JSON.stringify({
    time: "2026-11-29T10:00:00Z",
    type: "request",
    request: { id: `r${i}`, path: `secret/data/${i}`, remote_address: "10.0.0.1" },
  });
const SERVER_LINES = [
  '{"@level":"info","@message":"enabled audit backend","@timestamp":"2026-11-29T10:00:00.000Z","type":"file"}',
  "2026-11-29T10:00:00.000Z [INFO]  core: enabled audit backend: path=file/ type=file",
  "==> Vault server configuration:",
  '{"type":"file","path":"file/"}',
];

describe("a mixed stream", () => {
  test.each([
    ["plain", (l: string) => l],
    ["syslog", (l: string) => `Nov 29 10:00:00 vault-0 vault[1]: ${l}`],
    ["docker", (l: string) => JSON.stringify({ log: l + "\n", stream: "stderr", time: "t" })],
  ])("%s: server lines are skipped, every entry around them indexed", async (_n, frame) => {
    const lines: string[] = [];
    for (let i = 0; i < 20; i++) lines.push(entry(i), SERVER_LINES[i % SERVER_LINES.length]!);
    const dir = tempDir();
    const file = path.join(dir, "vault.log");
    writeFileSync(file, lines.map(frame).join("\n") + "\n");
    const db = path.join(dir, "db");
    const summary = await indexFiles(db, [file], { workers: 1 });
    expect(summary).toMatchObject({ records: 20, badLines: 0, skippedLines: 20 });
    const index = openIndex(db);
    try {
      expect(index.stats({ badLines: true })).toMatchObject({ skippedLines: 20, badLineList: [] });
    } finally {
      await index.close();
    }
  });

  test("a file in a directory with no entry in its head is skipped; named, it is read", async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "logs"));
    const server = path.join(dir, "logs", "server.log");
    writeFileSync(server, SERVER_LINES.join("\n") + "\n" + entry(1) + "\n");
    writeFileSync(path.join(dir, "logs", "audit.log"), entry(2) + "\n");
    const viaDir = await indexFiles(path.join(dir, "db1"), [path.join(dir, "logs")], {
      workers: 1,
    });
    expect(viaDir).toMatchObject({ records: 2, skippedFiles: [] });
    writeFileSync(server, SERVER_LINES.join("\n") + "\n");
    const again = await indexFiles(path.join(dir, "db2"), [path.join(dir, "logs")], { workers: 1 });
    expect(again).toMatchObject({ records: 1, skippedFiles: [server] });
    const named = await indexFiles(path.join(dir, "db3"), [server], { workers: 1 });
    expect(named).toMatchObject({
      records: 0,
      skippedLines: SERVER_LINES.length,
      skippedFiles: [],
    });
  });
});
