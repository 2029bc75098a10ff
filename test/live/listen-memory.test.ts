// `breakglass listen` memory over a long stream, through the built bin: a million ~330-byte entries
// through a unix socket, sent as a steady Vault would (never more than BACKLOG_RECORDS ahead of the
// index). The listener's resident memory stops growing once warm (it used to keep ~0.2-0.5 KB a
// record for good, in its parse worker), stays within a fixed bound of what it was at start, and
// `* | count` finds every entry.
import net from "node:net";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { runBin } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { compactEntries, recordCount, rssBytes, startListen, waitFor } from "./live-helpers.js";

const tempDir = tempDirs("bg-listen-mem-");

const RECORDS = 1_000_000;
const WARM_RECORDS = 200_000;
const BATCH = 5000;
const BACKLOG_RECORDS = 20_000;
const MB = 2 ** 20;

describe("breakglass listen memory", () => {
  test(
    "a million entries through a unix socket: RSS stops growing once warm, stays within start + 320 MB, and all are counted",
    { timeout: 180_000 },
    async () => {
      const dir = tempDir();
      const db = path.join(dir, "db");
      const sock = path.join(dir, "vault.sock");
      // One parse worker whatever the machine: its heap is most of the working set.
      const l = await startListen(db, ["--unix", sock, "--workers", "1"]);
      const pid = l.proc.pid!;
      const startRss = rssBytes(pid);
      const socket = net.connect(sock);
      await new Promise((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("error", reject);
      });
      let indexed = 0;
      const send = async (from: number, to: number): Promise<void> => {
        for (let at = from; at < to; at += BATCH) {
          if (!socket.write(compactEntries(at, Math.min(BATCH, to - at)))) {
            await new Promise((r) => socket.once("drain", r));
          }
          while (at - indexed > BACKLOG_RECORDS) {
            await new Promise((r) => setTimeout(r, 100));
            indexed = await recordCount(db);
          }
        }
        await waitFor(
          `${to} records indexed`,
          async () => (await recordCount(db)) >= to,
          90_000,
          250,
        );
      };
      await send(0, WARM_RECORDS);
      const warmRss = rssBytes(pid);
      await send(WARM_RECORDS, RECORDS);
      const endRss = rssBytes(pid);
      await new Promise<void>((r) => socket.end(r));
      console.log(
        `listen RSS: start ${(startRss / MB).toFixed(0)} MB, after ${WARM_RECORDS} records ` +
          `${(warmRss / MB).toFixed(0)} MB, after ${RECORDS} ${(endRss / MB).toFixed(0)} MB`,
      );
      l.proc.kill("SIGTERM");
      expect(await l.exited).toBe(0);
      expect(endRss - warmRss).toBeLessThan(96 * MB);
      expect(endRss - startRss).toBeLessThan(320 * MB);
      const count = await runBin(["query", "--db", db, "* | count"], {});
      expect(count.stderr).toBe("");
      expect(count.stdout.trim()).toBe(String(RECORDS));
    },
  );
});
