// `breakglass serve` run as an operator runs it (the built bin, a clean environment), on a free
// loopback port: waits for the start URL it prints (which holds the access token) and stops it
// with SIGTERM at the end.
import type { ChildProcess } from "node:child_process";
import { startBin } from "./run-bin.js";

export interface ServeProcess {
  /** The start URL, `http://127.0.0.1:PORT/?token=…`. */
  readonly startUrl: string;
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  readonly token: string;
  /** What the server wrote so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

export async function startServe(
  args: readonly string[],
  env: Record<string, string>,
): Promise<ServeProcess> {
  const child: ChildProcess = startBin(["serve", "--listen", "127.0.0.1:0", ...args], env);
  let output = "";
  const startUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve printed no start URL in ${START_TIMEOUT_MS} ms:\n${output}`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /https?:\/\/[^\s]+[?#&]token=[^\s&#]+/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before it printed a start URL:\n${output}`));
    });
  });
  const url = new URL(startUrl);
  return {
    startUrl,
    origin: url.origin,
    token: new URLSearchParams(url.search || url.hash.slice(1)).get("token") ?? "",
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
