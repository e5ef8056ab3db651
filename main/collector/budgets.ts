/**
 * CPU and memory budgets. They are measured for the whole process (Node has no per-query
 * CPU or heap accounting) every few seconds; when one is exceeded, the query that produced
 * the most rows in the last window is the one acted on: paused for CPU, restarted for memory.
 * The log says which limit fired, the measured value and what happens next.
 */
import type { MonitorLog } from './monitor-log.ts';
import type { EventQuery } from './event-query.ts';

export interface Budgets {
  /** Percent of one core the collector may use, averaged over a window. */
  cpuPercent: number;
  /** Bytes of RSS growth over the RSS at start. */
  memoryGrowth: number;
  /** Window length, ms. */
  windowMs: number;
}

export const DEFAULT_BUDGETS: Budgets = { cpuPercent: 90, memoryGrowth: 512 * 1024 * 1024, windowMs: 5000 };

export class BudgetWatch {
  private timer: NodeJS.Timeout | null = null;
  private lastCpu = process.cpuUsage();
  private lastTime = performance.now();
  private readonly baseRss = process.memoryUsage.rss();
  private lastRows = new Map<EventQuery, number>();

  constructor(
    private readonly queries: () => EventQuery[],
    private readonly log: MonitorLog,
    private readonly budgets: Budgets = DEFAULT_BUDGETS,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.check(), this.budgets.windowMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The query with the most rows received since the previous check. */
  private busiest(): EventQuery | undefined {
    let best: EventQuery | undefined;
    let bestRows = -1;
    for (const q of this.queries()) {
      const rows = q.rowsReceived - (this.lastRows.get(q) ?? 0);
      this.lastRows.set(q, q.rowsReceived);
      if (rows > bestRows) {
        bestRows = rows;
        best = q;
      }
    }
    return best;
  }

  check(): void {
    const cpu = process.cpuUsage(this.lastCpu);
    const now = performance.now();
    const percent = ((cpu.user + cpu.system) / 1000 / (now - this.lastTime)) * 100;
    this.lastCpu = process.cpuUsage();
    this.lastTime = now;
    const growth = process.memoryUsage.rss() - this.baseRss;
    const q = this.busiest();
    if (!q) return;
    // The busiest query's own resources.cpu_limit (percent of one core) overrides the default.
    const cpuBudget = q.loaded.artifact.resources?.cpu_limit || this.budgets.cpuPercent;
    if (percent > cpuBudget) {
      const pause = this.budgets.windowMs * 2;
      this.log.write('warn', 'budget', `CPU budget of ${cpuBudget}% exceeded: measured ${percent.toFixed(1)}% over ${this.budgets.windowMs / 1000} s; pausing ${q.name} (the busiest query) for ${pause / 1000} s`, {
        artifact: q.name, limit: 'cpu', measured: Math.round(percent * 10) / 10, budget: cpuBudget,
      });
      q.pause(pause);
    }
    if (growth > this.budgets.memoryGrowth) {
      this.log.write('warn', 'budget', `memory budget exceeded: RSS grew ${(growth / 1048576).toFixed(0)} MB (budget ${(this.budgets.memoryGrowth / 1048576).toFixed(0)} MB); restarting ${q.name} (the busiest query) after its backoff`, {
        artifact: q.name, limit: 'memory', measured: growth, budget: this.budgets.memoryGrowth,
      });
      q.kill('memory budget exceeded');
    }
  }
}
