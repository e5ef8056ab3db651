/**
 * CPU and memory budgets, checked every few seconds. A query on a worker thread of its own
 * (the collector's default) is measured by itself: the CPU time of its thread (reported by its
 * heartbeats) against its own budget, and the heap of its worker against the memory budget.
 * Queries on this thread cannot be told apart (Node has no per-query CPU or heap accounting):
 * the process is measured (less what the workers used), and the query that produced the most
 * rows in the last window is the one acted on. Over the CPU budget a query is paused, over the
 * memory budget restarted. The log says which limit fired, the measured value and what happens
 * next. (A worker stuck in one step, or out of its heap limit, is the watchdog's: event-query.ts.)
 */
import type { MonitorLog } from './monitor-log.ts';
import type { EventQuery } from './event-query.ts';

export interface Budgets {
  /** Percent of one core a query may use, averaged over a window (its resources.cpu_limit overrides it). */
  cpuPercent: number;
  /** Bytes: RSS growth over the RSS at start (queries on this thread), or a worker's heap (isolated queries). */
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
  private lastQueryCpu = new WeakMap<EventQuery, number>();

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

  /** The query with the most rows received since the previous check, among `queries`. */
  private busiest(queries: EventQuery[]): EventQuery | undefined {
    let best: EventQuery | undefined;
    let bestRows = -1;
    for (const q of queries) {
      const rows = q.rowsReceived - (this.lastRows.get(q) ?? 0);
      this.lastRows.set(q, q.rowsReceived);
      if (rows > bestRows) {
        bestRows = rows;
        best = q;
      }
    }
    return best;
  }

  /** The CPU budget of a query: its own resources.cpu_limit (percent of one core), else the default. */
  private cpuBudget(q: EventQuery): number {
    return q.loaded.artifact.resources?.cpu_limit || this.budgets.cpuPercent;
  }

  private overCpu(q: EventQuery, percent: number, what: string, who: string): void {
    const budget = this.cpuBudget(q);
    if (percent <= budget) return;
    const pause = this.budgets.windowMs * 2;
    this.log.write('warn', 'budget', `CPU budget of ${budget}% exceeded: measured ${percent.toFixed(1)}% ${what} over ${this.budgets.windowMs / 1000} s; pausing ${q.name}${who} for ${pause / 1000} s`, {
      artifact: q.name, limit: 'cpu', measured: Math.round(percent * 10) / 10, budget,
    });
    q.pause(pause);
  }

  check(): void {
    const cpu = process.cpuUsage(this.lastCpu);
    const now = performance.now();
    const elapsed = now - this.lastTime;
    let percent = ((cpu.user + cpu.system) / 1000 / elapsed) * 100;
    this.lastCpu = process.cpuUsage();
    this.lastTime = now;
    const all = this.queries();
    const inline: EventQuery[] = [];
    for (const q of all) {
      const used = q.cpuMs();
      if (used === undefined) {
        inline.push(q);
        continue;
      }
      const before = this.lastQueryCpu.get(q);
      this.lastQueryCpu.set(q, used);
      if (before === undefined) continue;
      const own = ((used - before) / elapsed) * 100;
      percent -= own; // what is left is this thread's (and the inline queries')
      this.overCpu(q, own, 'by its worker thread', '');
      const heap = q.heapUsed();
      if (heap !== undefined && heap > this.budgets.memoryGrowth) {
        this.log.write('warn', 'budget', `memory budget exceeded: ${q.name}'s worker uses ${(heap / 1048576).toFixed(0)} MB of heap (budget ${(this.budgets.memoryGrowth / 1048576).toFixed(0)} MB); restarting it after its backoff`, {
          artifact: q.name, limit: 'memory', measured: heap, budget: this.budgets.memoryGrowth,
        });
        q.kill('memory budget exceeded');
      }
    }
    const q = this.busiest(inline);
    if (!q) return;
    this.overCpu(q, percent, 'on the collector\'s own thread', ' (the busiest query there)');
    const growth = process.memoryUsage.rss() - this.baseRss;
    if (growth > this.budgets.memoryGrowth) {
      this.log.write('warn', 'budget', `memory budget exceeded: RSS grew ${(growth / 1048576).toFixed(0)} MB (budget ${(this.budgets.memoryGrowth / 1048576).toFixed(0)} MB); restarting ${q.name} (the busiest query) after its backoff`, {
        artifact: q.name, limit: 'memory', measured: growth, budget: this.budgets.memoryGrowth,
      });
      q.kill('memory budget exceeded');
    }
  }
}
