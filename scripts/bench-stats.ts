/**
 * The benchmarks' shared statistics: the median of a sample (the upper middle for an even count,
 * 0 for none), and the median wall time of a synchronous run after optional warm-up runs.
 */

/** Median of `xs` (upper middle for an even count; 0 when empty). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** Median wall time (ms) of `times` calls of `run`, after `warmup` untimed calls. */
export function medianMs(run: () => unknown, times: number, warmup = 0): number {
  for (let i = 0; i < warmup; i++) run();
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    run();
    ms.push(performance.now() - t);
  }
  return median(ms);
}
