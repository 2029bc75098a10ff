// Questions for the person at the keyboard: "Revoke N leases at ADDR? [y/N]" and unseal key shares
// typed without echo. The terminal is stdin when stdin is a TTY, else /dev/tty (stdin may be
// carrying lease ids); prompts go to stderr. Without a terminal there is no one to ask:
// openTerminal() returns undefined and callers require --yes. Never echoes a hidden answer.
import { openSync } from "node:fs";
import readline from "node:readline";
import tty from "node:tty";
import { UsageError } from "../errors.js";

export interface Terminal {
  input: tty.ReadStream;
  close(): void;
}

/** The keyboard, if there is one and stderr shows prompts on it. */
export function openTerminal(): Terminal | undefined {
  if (!process.stderr.isTTY) return undefined;
  if (process.stdin.isTTY) return { input: process.stdin as tty.ReadStream, close: () => {} };
  let fd: number;
  try {
    fd = openSync("/dev/tty", "r");
  } catch {
    return undefined;
  }
  const input = new tty.ReadStream(fd);
  return { input, close: () => input.destroy() };
}

/** Asks a yes/no question; only "y" or "yes" (any case) is yes. */
export async function confirm(terminal: Terminal, question: string): Promise<boolean> {
  const rl = readline.createInterface({
    input: terminal.input,
    output: process.stderr,
    terminal: true,
  });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once("close", () => resolve(""));
      rl.question(`${question} [y/N] `, resolve);
    });
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}

/** Reads one line with echo off (raw mode). Ctrl-C cancels; Ctrl-D on an empty line ends input
 * (returns undefined). */
export async function readHidden(
  terminal: Terminal,
  question: string,
): Promise<string | undefined> {
  const input = terminal.input;
  // Echo goes off before the prompt shows, so a share typed (or pasted) at once is not echoed.
  input.setRawMode(true);
  process.stderr.write(question);
  input.resume();
  try {
    return await new Promise<string | undefined>((resolve, reject) => {
      let value = "";
      const onData = (chunk: Buffer): void => {
        for (const ch of chunk.toString("utf8")) {
          if (ch === "\r" || ch === "\n") {
            cleanup();
            return resolve(value);
          }
          if (ch === "\u0003") {
            cleanup();
            return reject(new UsageError("cancelled"));
          }
          if (ch === "\u0004" && value === "") {
            cleanup();
            return resolve(undefined);
          }
          if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
          else if (ch >= " ") value += ch;
        }
      };
      const cleanup = (): void => {
        input.off("data", onData);
        process.stderr.write("\n");
      };
      input.on("data", onData);
    });
  } finally {
    input.setRawMode(false);
    input.pause();
  }
}
