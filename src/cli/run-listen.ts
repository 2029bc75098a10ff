// What `breakglass listen` does: parse endpoints and alert rules, start the listener and its live
// indexer, print alerts as NDJSON on stdout (and run --on-alert / POST --webhook), diagnostics on
// stderr; SIGINT/SIGTERM stop accepting, index everything spooled and exit 0.
import type { InputMode } from "../audit/framing/input-mode.js";
import fs from "node:fs";
import { InputError, UsageError } from "../errors.js";
import { compileAlertRules, rulesFromText } from "../live/alert-rules.js";
import { AlertRunner } from "../live/alert-runner.js";
import {
  commandSink,
  ndjsonSink,
  webhookSink,
  type AlertSink,
  type BackgroundSink,
} from "../live/alert-sinks.js";
import { listen } from "../live/listen.js";
import { parseHostPort, type Endpoint } from "../live/socket-listener.js";
import { waitingMessage } from "./waiting-message.js";

export interface ListenFlags {
  tcp?: string[];
  udp?: string[];
  unix?: string[];
  prefix?: string;
  input?: InputMode;
  workers?: number;
  maxLineBytes?: number;
  alert?: string[];
  rules?: string;
  onAlert?: string;
  webhook?: string;
  salt?: string;
  /** False with --no-wait: exit 3 if another process writes the index. */
  wait?: boolean;
  maxConnections?: number;
  /** Seconds. */
  idleTimeout?: number;
  /** Octal text, e.g. "660". */
  socketMode?: string;
  /** The label of the records (field `device`). */
  device?: string;
}

/** `--socket-mode 660` → 0o660. */
function socketMode(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^0?[0-7]{3}$/.test(text)) {
    throw new UsageError(`--socket-mode ${text}: expected an octal mode such as 600 or 660`);
  }
  return parseInt(text, 8);
}

function endpoints(flags: ListenFlags): Endpoint[] {
  const out: Endpoint[] = [];
  for (const kind of ["tcp", "udp"] as const) {
    for (const text of flags[kind] ?? []) {
      const hp = parseHostPort(text);
      if (!hp) throw new UsageError(`--${kind} ${text}: expected HOST:PORT (IPv6: [::1]:PORT)`);
      out.push({ kind, ...hp });
    }
  }
  for (const p of flags.unix ?? []) out.push({ kind: "unix", path: p });
  if (out.length === 0) {
    throw new UsageError(
      "nothing to listen on",
      "give --tcp HOST:PORT, --udp HOST:PORT or --unix PATH (Vault: vault audit enable socket address=… socket_type=tcp)",
    );
  }
  return out;
}

/** Alert rules and sinks: shared with `index --follow`. */
export async function alertRunnerFromFlags(
  flags: Pick<ListenFlags, "alert" | "rules" | "onAlert" | "webhook" | "salt">,
  warn: (m: string) => void,
): Promise<{ runner: AlertRunner | undefined; background: BackgroundSink[] }> {
  const specs = [...(flags.alert ?? [])];
  if (flags.rules !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(flags.rules, "utf8");
    } catch (err) {
      throw new InputError(`cannot read the rules file ${flags.rules}: ${(err as Error).message}`);
    }
    specs.push(...rulesFromText(text));
  }
  if (specs.length === 0) {
    if (flags.onAlert !== undefined || flags.webhook !== undefined) {
      throw new UsageError("--on-alert and --webhook need alert rules (--alert or --rules)");
    }
    return { runner: undefined, background: [] };
  }
  const rules = await compileAlertRules(specs, {
    salt: flags.salt ?? process.env.BREAKGLASS_AUDIT_SALT,
  });
  const background: BackgroundSink[] = [];
  if (flags.onAlert !== undefined) background.push(commandSink(flags.onAlert, warn));
  if (flags.webhook !== undefined) {
    try {
      new URL(flags.webhook);
    } catch {
      throw new UsageError(`--webhook ${flags.webhook}: not a URL`);
    }
    background.push(webhookSink(flags.webhook, warn));
  }
  const sinks: AlertSink[] = [ndjsonSink(process.stdout), ...background.map((b) => b.sink)];
  return { runner: new AlertRunner(rules, sinks), background };
}

export async function runListen(dbDir: string, flags: ListenFlags): Promise<void> {
  const eps = endpoints(flags);
  const mode = socketMode(flags.socketMode);
  const warn = (m: string): void => {
    process.stderr.write(`breakglass: ${m}\n`);
  };
  const { runner, background } = await alertRunnerFromFlags(flags, warn);
  const live = await listen(dbDir, {
    endpoints: eps,
    limits: {
      maxLineBytes: flags.maxLineBytes,
      maxConnections: flags.maxConnections,
      idleTimeoutMs: flags.idleTimeout === undefined ? undefined : flags.idleTimeout * 1000,
      socketMode: mode,
    },
    prefix: flags.prefix,
    input: flags.input,
    workers: flags.workers,
    maxLineBytes: flags.maxLineBytes,
    onRecords: runner?.onRecords,
    device: flags.device,
    onWarning: warn,
    wait: flags.wait,
    onWait: (holder) => warn(waitingMessage(dbDir, holder)),
  });
  // Handlers go in before "listening on" is printed: a supervisor (or a test) that signals as
  // soon as it reads the line must not meet the default action, which kills without indexing.
  const stopped = new Promise<string | Error>((resolve) => {
    const on = (s: string) => () => resolve(s);
    process.once("SIGINT", on("SIGINT"));
    process.once("SIGTERM", on("SIGTERM"));
    void live.failed.then(resolve);
  });
  for (const a of live.addresses) process.stderr.write(`listening on ${a}\n`);
  const signal = await stopped;
  if (signal instanceof Error) throw signal;
  process.stderr.write(`${signal}: stopped accepting; indexing what was spooled…\n`);
  const { bytesReceived, records, listener } = await live.stop();
  await Promise.all(background.map((b) => b.idle()));
  process.stderr.write(
    `received ${bytesReceived} bytes, indexed ${records} records` +
      (runner ? `, ${runner.fired} alerts` : "") +
      (listener.droppedLines > 0 ? `, dropped ${listener.droppedLines} over-long lines` : "") +
      (listener.idleClosed > 0
        ? `, closed ${listener.idleClosed} connections idle in mid-line`
        : "") +
      (listener.refused > 0 ? `, refused ${listener.refused} connections` : "") +
      "\n",
  );
}
