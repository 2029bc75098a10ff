// The writer lock on its own: one holder at a time, a second writer waits (told whom for) or fails
// at once, the lock dies with its process (kill -9 of a real holder process), its lock-info file
// is private, and nothing of it is left once released.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { InputError } from "../../src/errors.js";
import {
  acquireWriterLock,
  readHolder,
  WRITER_INFO,
  WRITER_SOCKET,
  type WriterLockHolder,
} from "../../src/store/writer-lock.js";
import { ROOT } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-writer-lock-");

/** A separate process that takes the lock of `dir` and says "locked" (the compiled module). */
function holderProcess(dir: string): Promise<{ pid: number; kill9(): Promise<void> }> {
  const lockModule = path.join(ROOT, "dist/src/store/writer-lock.js");
  const script =
    `const { acquireWriterLock } = await import(${JSON.stringify(lockModule)});` +
    `await acquireWriterLock(${JSON.stringify(dir)}, { command: "test holder" });` +
    `console.log("locked"); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`holder exited ${code}`)));
    child.stdout.on("data", (d: Buffer) => {
      if (!d.toString().includes("locked")) return;
      resolve({
        pid: child.pid!,
        kill9: async () => {
          child.kill("SIGKILL");
          await exited;
        },
      });
    });
  });
}

describe("the writer lock", () => {
  test("a second writer with wait: false fails at once, naming the holder's pid, command and start", async () => {
    const dir = tempDir();
    const lock = await acquireWriterLock(dir, { command: "breakglass listen" });
    const err = await acquireWriterLock(dir, { command: "x", wait: false }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(3);
    expect((err as InputError).message).toMatch(
      new RegExp(`pid ${process.pid} \\(breakglass listen\\) since \\d{4}-\\d\\d-\\d\\dT`),
    );
    await lock.release();
    const again = await acquireWriterLock(dir, { command: "x", wait: false });
    await again.release();
  });

  test("a second writer waits, is told whom for, and gets the lock when the first releases it", async () => {
    const dir = tempDir();
    const first = await acquireWriterLock(dir, { command: "breakglass index" });
    const told: (WriterLockHolder | undefined)[] = [];
    let got = false;
    const second = acquireWriterLock(dir, {
      command: "breakglass index --follow",
      onWait: (h) => told.push(h),
    }).then((l) => {
      got = true;
      return l;
    });
    while (told.length === 0) await new Promise((r) => setTimeout(r, 20));
    expect(got).toBe(false);
    expect(told[0]).toMatchObject({ pid: process.pid, command: "breakglass index" });
    await first.release();
    const lock = await second;
    expect(readHolder(dir)).toMatchObject({ command: "breakglass index --follow" });
    await lock.release();
  });

  test("a wait ends with an input error when its signal aborts", async () => {
    const dir = tempDir();
    const lock = await acquireWriterLock(dir, { command: "a" });
    const abort = new AbortController();
    const waiting = acquireWriterLock(dir, {
      command: "b",
      signal: abort.signal,
      onWait: () => abort.abort(),
    });
    await expect(waiting).rejects.toThrow(/stopped waiting/);
    await lock.release();
  });

  test("kill -9 of the holding process releases the lock", async () => {
    const dir = tempDir();
    const holder = await holderProcess(dir);
    await expect(acquireWriterLock(dir, { command: "x", wait: false })).rejects.toThrow(
      new RegExp(`pid ${holder.pid} \\(test holder\\)`),
    );
    await holder.kill9();
    // Its socket file is still there: the kernel, not a file, says it is free.
    expect(fs.existsSync(path.join(dir, WRITER_SOCKET))).toBe(true);
    const lock = await acquireWriterLock(dir, { command: "next", wait: false });
    expect(readHolder(dir)).toMatchObject({ pid: process.pid, command: "next" });
    await lock.release();
  });

  test("two writers taking over a dead holder's lock at once: exactly one gets it", async () => {
    const dir = tempDir();
    const holder = await holderProcess(dir);
    await holder.kill9();
    const tries = await Promise.allSettled(
      Array.from({ length: 4 }, (_, i) =>
        acquireWriterLock(dir, { command: `w${i}`, wait: false }),
      ),
    );
    const won = tries.filter((t) => t.status === "fulfilled");
    expect(won).toHaveLength(1);
    await (won[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
  });

  test("the lock-info file is 0600 while held, and nothing of the lock is left once released", async () => {
    const dir = tempDir();
    fs.chmodSync(dir, 0o700);
    const before = fs.readdirSync(dir);
    const oldUmask = process.umask(0);
    try {
      const lock = await acquireWriterLock(dir, { command: "breakglass index" });
      expect(fs.statSync(path.join(dir, WRITER_INFO)).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.join(dir, WRITER_SOCKET)).mode & 0o777).toBe(0o600);
      await lock.release();
    } finally {
      process.umask(oldUmask);
    }
    expect(fs.readdirSync(dir)).toEqual(before);
  });

  test("an index path longer than a socket path works", async () => {
    const dir = path.join(tempDir(), "d".repeat(120));
    fs.mkdirSync(dir);
    const lock = await acquireWriterLock(dir, { command: "x" });
    expect(fs.existsSync(path.join(dir, WRITER_SOCKET))).toBe(true);
    await expect(acquireWriterLock(dir, { command: "y", wait: false })).rejects.toThrow(
      /being written by/,
    );
    await lock.release();
    expect(fs.existsSync(path.join(dir, WRITER_SOCKET))).toBe(false);
  });
});
