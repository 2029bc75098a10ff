// What `breakglass index --follow PATH` does: index the file, then keep indexing what is appended,
// through rotations (rename + SIGHUP reopen, copytruncate, gzip of the old file), every half
// second; alerts as with `listen`. SIGHUP re-checks the file at once; SIGINT/SIGTERM finish the
// current step and exit 0 (what was committed is kept; the next run resumes from it).
import { UsageError } from "../errors.js";
import { Indexer } from "../ingest/index-files.js";
import { FileFollower } from "../live/follow-file.js";
import { startLiveLoop } from "../live/live-loop.js";
import { maybeCompact } from "../live/maybe-compact.js";
import { rawTokenWarning } from "./run-index.js";
import { alertRunnerFromFlags, type ListenFlags } from "./run-listen.js";
import { waitingMessage } from "./waiting-message.js";

export type FollowFlags = Pick<
  ListenFlags,
  | "alert"
  | "rules"
  | "onAlert"
  | "webhook"
  | "salt"
  | "prefix"
  | "input"
  | "workers"
  | "maxLineBytes"
  | "wait"
  | "device"
>;

export async function runFollow(dbDir: string, paths: string[], flags: FollowFlags): Promise<void> {
  if (paths.length !== 1) throw new UsageError("--follow takes exactly one file");
  const warn = (m: string): void => {
    process.stderr.write(`breakglass: ${m}\n`);
  };
  const { runner, background } = await alertRunnerFromFlags(flags, warn);
  const indexer = await Indexer.open(dbDir, {
    workers: flags.workers ?? 1,
    maxLineBytes: flags.maxLineBytes,
    command: "breakglass index --follow",
    wait: flags.wait,
    onWait: (holder) => warn(waitingMessage(dbDir, holder)),
  });
  let records = 0;
  let warnedRawTokens = false; // once per run: every later line of the log is raw too
  try {
    const follower = new FileFollower(indexer, paths[0]!, {
      prefix: flags.prefix,
      input: flags.input,
      onRecords: runner?.onRecords,
      device: flags.device,
      onWarning: warn,
    });
    const loop = startLiveLoop(
      async () => {
        const step = await follower.step();
        records += step.records;
        for (const s of step.summaries) {
          for (const e of s.fileErrors) warn(e);
          if (s.rawTokenFiles.length > 0 && !warnedRawTokens) {
            warnedRawTokens = true;
            warn(`warning: ${rawTokenWarning(s.rawTokenFiles)}`);
          }
          for (const b of s.firstBadLines) {
            if (!b.reason.endsWith("(last line, no newline)"))
              warn(`${b.file}:${b.line}: ${b.reason}`);
          }
        }
        if (step.rotated) process.stderr.write(`${paths[0]} rotated; following the new file\n`);
        maybeCompact(indexer, warn);
      },
      (err) => warn(`indexing: ${(err as Error).message}`),
    );
    // Handlers go in before "following" is printed, so a signal sent on reading it is handled.
    const onHup = (): void => loop.poke();
    process.on("SIGHUP", onHup);
    const stopped = new Promise<string>((resolve) => {
      process.once("SIGINT", () => resolve("SIGINT"));
      process.once("SIGTERM", () => resolve("SIGTERM"));
    });
    process.stderr.write(`following ${paths[0]}\n`);
    const signal = await stopped;
    process.off("SIGHUP", onHup);
    await loop.stop();
    process.stderr.write(`${signal}: stopped following\n`);
  } finally {
    await indexer.close();
  }
  await Promise.all(background.map((b) => b.idle()));
  process.stderr.write(
    `indexed ${records} records` + (runner ? `, ${runner.fired} alerts` : "") + "\n",
  );
}
