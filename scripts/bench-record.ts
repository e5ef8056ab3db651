/**
 * A benchmark's latest result as a file: `test-results/bench-<name>.json`, holding when and on
 * what machine it was measured (cores, CPU, load average, Node) and each measure against its
 * target. scripts/bench-report.ts turns every such file into the manual's docs/numbers.md, so
 * the measured numbers live in one place that the benchmarks write, not in prose that ages.
 *
 * A benchmark calls `writeBenchRecord()` once at the end of a complete run (a partial run, such
 * as `--only X`, should not replace the record of a full one).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (scripts/ and dist/ are both one level below it). */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Where the benchmark ran. `load` is the 1, 5 and 15 minute load average when it finished. */
export interface BenchMachine {
  cores: number;
  cpu: string;
  load: [number, number, number];
  node: string;
  platform: string;
}

/** One measure: its value as a number with a unit, and its target, if it has one. */
export interface BenchMeasure {
  name: string;
  value: number;
  unit: string;
  /** The target, as a bound on `value` (`max`: at most; `min`: at least) and as text. */
  target?: { max?: number; min?: number; text: string };
  /** Anything the reader needs beside the value (cold run, rows, ratio...). */
  note?: string;
}

export interface BenchRecord {
  /** Short id, also the file name: `engine` gives test-results/bench-engine.json. */
  bench: string;
  title: string;
  /** The command that produced it. */
  command: string;
  /** ISO 8601 UTC. */
  date: string;
  machine: BenchMachine;
  measures: BenchMeasure[];
}

/** This machine, now. */
export function currentMachine(): BenchMachine {
  const [a, b, c] = loadavg();
  const round = (x: number | undefined) => Math.round((x ?? 0) * 100) / 100;
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    load: [round(a), round(b), round(c)],
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Writes the record (date and machine filled in) and returns its path. */
export function writeBenchRecord(
  record: Omit<BenchRecord, 'date' | 'machine'>,
  options: { root?: string; date?: Date; machine?: BenchMachine } = {},
): string {
  if (!/^[a-z0-9-]+$/.test(record.bench)) throw new Error(`bench id '${record.bench}': use lowercase letters, digits and '-' (it names the file)`);
  const dir = join(options.root ?? repoRoot, 'test-results');
  mkdirSync(dir, { recursive: true });
  const full: BenchRecord = {
    ...record,
    date: (options.date ?? new Date()).toISOString(),
    machine: options.machine ?? currentMachine(),
  };
  const path = join(dir, `bench-${record.bench}.json`);
  writeFileSync(path, `${JSON.stringify(full, null, 1)}\n`);
  return path;
}
