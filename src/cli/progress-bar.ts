// A progress bar on stderr, only when stderr is a terminal (README.md: machine output stays clean).
import cliProgress from "cli-progress";

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

const MB = 1024 * 1024;

export function progressBar(enabled: boolean, label: string): Progress {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {doneMB}/{totalMB} MB | {speed} MB/s | ETA {eta}s`,
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  let running = false;
  return {
    update(done, total) {
      const payload = {
        doneMB: (done / MB).toFixed(0),
        totalMB: (total / MB).toFixed(0),
        speed: (done / MB / Math.max(0.001, (performance.now() - started) / 1000)).toFixed(0),
      };
      if (!running) {
        bar.start(total, done, payload);
        running = true;
      } else {
        bar.setTotal(total);
        bar.update(done, payload);
      }
    },
    stop() {
      if (running) bar.stop();
    },
  };
}
