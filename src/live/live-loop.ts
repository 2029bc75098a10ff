// The live loop's clock: run a step, then again INTERVAL_MS after it started (immediately when it
// overran), never two at once, until stopped. A commit happens at least every second while data
// arrives: a step is at most one interval late and indexes everything there is.
export const LIVE_INTERVAL_MS = 500;

export interface LiveLoop {
  /** Run a step now (after the current one), e.g. on SIGHUP. */
  poke(): void;
  /** Stop after the current step; resolves when it has ended. */
  stop(): Promise<void>;
}

export function startLiveLoop(
  step: () => Promise<void>,
  onError: (err: unknown) => void,
  intervalMs = LIVE_INTERVAL_MS,
): LiveLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const run = (): void => {
    timer = undefined;
    if (stopped) return;
    const started = performance.now();
    running = step()
      .catch(onError)
      .finally(() => {
        if (stopped) return;
        const wait = Math.max(0, intervalMs - (performance.now() - started));
        timer = setTimeout(run, wait);
      });
  };
  timer = setTimeout(run, 0);
  return {
    poke() {
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = setTimeout(run, 0);
      }
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
    },
  };
}
