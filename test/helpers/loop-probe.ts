// How much some work holds this thread's event loop, measured so that a loaded machine does not
// pass for a blocked loop (used by test/app/worker.test.ts and scripts/bench-main-lag.ts).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** What a probe saw while the work ran. */
export interface LoopLoad {
  /** Longest wall time between two runs of a 5 ms interval (includes time the OS ran others). */
  readonly gapMs: number;
  /**
   * The most CPU this thread used between two consecutive runs of the interval: the longest
   * block our own code caused, whatever the machine's load (Linux /proc, 10 ms resolution).
   * Undefined where /proc is not available.
   */
  readonly cpuBlockMs?: number;
  /** The loop's busy time in total (eventLoopUtilization; idle waiting is not counted). */
  readonly activeMs: number;
  /** The best bound on the longest block: cpuBlockMs where known, else gapMs. */
  readonly blockMs: number;
}

const STAT = `/proc/self/task/${process.pid}/stat`;

/** CPU time (user + system) of the main thread in ms, or undefined off Linux. */
function mainThreadCpuMs(): number | undefined {
  let text: string;
  try {
    text = readFileSync(STAT, 'utf8');
  } catch {
    // No /proc (macOS, Windows): the probe falls back to wall-time gaps.
    return undefined;
  }
  // Fields after "(comm) ": state is field 3, utime 14 and stime 15, in USER_HZ (100) ticks.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** Runs `work` under a 5 ms interval probe; must be called on the main thread. */
export async function probeLoop<T>(work: () => Promise<T>): Promise<{ value: T } & LoopLoad> {
  let last = performance.now();
  let lastCpu = mainThreadCpuMs();
  let gap = 0;
  let cpuBlock = 0;
  const sample = () => {
    const now = performance.now();
    const cpu = mainThreadCpuMs();
    gap = Math.max(gap, now - last);
    if (cpu !== undefined && lastCpu !== undefined) cpuBlock = Math.max(cpuBlock, cpu - lastCpu);
    last = now;
    lastCpu = cpu;
  };
  const tick = setInterval(sample, 5);
  const elu0 = performance.eventLoopUtilization();
  const value = await work();
  const { active } = performance.eventLoopUtilization(elu0);
  clearInterval(tick);
  sample();
  const cpuBlockMs = lastCpu === undefined ? undefined : cpuBlock;
  return { value, gapMs: Math.round(gap), cpuBlockMs, activeMs: Math.round(active), blockMs: Math.round(cpuBlockMs ?? gap) };
}
