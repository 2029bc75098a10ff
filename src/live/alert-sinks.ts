// Where alerts go: one NDJSON line on stdout; optionally a command run for each alert with the
// alert on its stdin (spawned with the user's command line; log data only ever reaches it on
// stdin, never in a command string); optionally a JSON POST to a webhook with a timeout. None of
// them blocks ingestion: commands and POSTs run in the background, at most MAX_RUNNING at once,
// with a bounded queue (overflow is dropped with a warning, never queued without limit).
import { spawn } from "node:child_process";
import type { Alert } from "./alert-rules.js";

const MAX_RUNNING = 4;
const MAX_QUEUED = 1000;
export const WEBHOOK_TIMEOUT_MS = 5000;
/** A command that runs longer than this is killed (an alert hook must not pile up). */
const COMMAND_TIMEOUT_MS = 60_000;

export type AlertSink = (alert: Alert, json: string) => void;

/** Runs background jobs, at most `max` at once, with a bounded queue. */
class JobQueue {
  private running = 0;
  private readonly queue: (() => Promise<void>)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly what: string,
    private readonly onWarning: (message: string) => void,
    private readonly max = MAX_RUNNING,
  ) {}

  push(job: () => Promise<void>): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.onWarning(`${this.what}: ${MAX_QUEUED} alerts waiting; dropped one`);
      return;
    }
    this.queue.push(job);
    this.pump();
  }

  private pump(): void {
    while (this.running < this.max && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      void job()
        .catch((err: unknown) => this.onWarning(`${this.what}: ${(err as Error).message}`))
        .finally(() => {
          this.running--;
          this.pump();
          if (this.running === 0 && this.queue.length === 0) {
            for (const w of this.idleWaiters.splice(0)) w();
          }
        });
    }
  }

  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }
}

export function ndjsonSink(out: NodeJS.WritableStream): AlertSink {
  return (_alert, json) => {
    out.write(json + "\n");
  };
}

export interface BackgroundSink {
  readonly sink: AlertSink;
  /** Wait for the jobs started so far (shutdown). */
  idle(): Promise<void>;
}

export function commandSink(command: string, onWarning: (m: string) => void): BackgroundSink {
  const jobs = new JobQueue(`--on-alert ${command}`, onWarning);
  return {
    idle: () => jobs.idle(),
    sink: (_alert, json) =>
      jobs.push(
        () =>
          new Promise<void>((resolve, reject) => {
            const child = spawn(command, {
              shell: true,
              stdio: ["pipe", "ignore", "inherit"],
              timeout: COMMAND_TIMEOUT_MS,
            });
            child.on("error", reject);
            child.on("close", (code, signal) => {
              if (code === 0) resolve();
              else reject(new Error(signal ? `killed by ${signal}` : `exit status ${code}`));
            });
            child.stdin.on("error", () => {}); // a command that does not read its stdin
            child.stdin.end(json + "\n");
          }),
      ),
  };
}

export function webhookSink(url: string, onWarning: (m: string) => void): BackgroundSink {
  const jobs = new JobQueue(`--webhook ${url}`, onWarning);
  return {
    idle: () => jobs.idle(),
    sink: (_alert, json) =>
      jobs.push(async () => {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: json,
          signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
      }),
  };
}
