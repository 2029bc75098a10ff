// What machine ran the benchmark, and was it otherwise idle? CPU model from /proc/cpuinfo, core
// count, RAM, Node version, date, and the load average at the moment of the call.
import { readFileSync } from "node:fs";
import os from "node:os";

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly ramBytes: number;
  readonly node: string;
  readonly date: string;
  /** 1, 5 and 15 minute load averages. */
  readonly loadAverage: readonly [number, number, number];
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m?.[1]) cpuModel = m[1].trim();
  } catch {
    // not Linux: keep os.cpus()'s answer
  }
  const [l1 = 0, l5 = 0, l15 = 0] = os.loadavg();
  return {
    cpuModel,
    cores: os.availableParallelism(),
    ramBytes: os.totalmem(),
    node: process.version,
    date: new Date().toISOString(),
    loadAverage: [l1, l5, l15],
  };
}

/**
 * Idle enough to trust the numbers: the 1-minute load average below a quarter of a core per core.
 * A run of tests on a 2-core machine shows as 2–4.
 */
export function wasIdle(info: MachineInfo): boolean {
  return info.loadAverage[0] < 0.25 * info.cores;
}
