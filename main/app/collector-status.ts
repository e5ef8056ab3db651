/**
 * The per-artifact status the live event view shows, put together from the collector's
 * queries, its log (which budget fired, why a configured artifact did not start) and moving
 * row rates. States: `running`; `paused` by a budget (`limit` says which); `failed` (it could
 * not start, or its run failed and it restarts after a backoff: `error` says why); `backoff`
 * (it ended by itself and restarts after a backoff); `starting`.
 */
import type { EventArtifactStatus } from '../ipc/contract.ts';
import type { QueryStatus } from '../collector/collector.ts';
import type { MonitorLogEntry } from '../collector/monitor-log.ts';

/** The log's budget names as the contract names them (the artifact's `resources` fields). */
const LIMIT_NAMES: Record<string, string> = { rows_per_second: 'ops_per_second', cpu: 'cpu_limit', memory: 'memory' };

/** Rates are averaged over this window. */
const RATE_WINDOW_MS = 10_000;

interface Sample {
  t: number;
  rows: number;
}

/** Remembers what the collector's log said per artifact and the recent row counts; composes statuses. */
export class StatusBoard {
  private readonly configErrors = new Map<string, string>();
  private readonly budgets = new Map<string, { limit: string; message: string }>();
  private readonly samples = new Map<string, Sample[]>();
  private readonly lastRow = new Map<string, number>();

  /** Feeds one collector log entry (its `echo`). */
  onLog(e: MonitorLogEntry): void {
    const a = typeof e.artifact === 'string' ? e.artifact : undefined;
    if (!a) return;
    if (e.event === 'reload' && e.level === 'error') this.configErrors.set(a, e.message);
    else if (e.event === 'reload' && e.message.startsWith(`${a} started`)) {
      this.configErrors.delete(a);
      this.budgets.delete(a);
    } else if (e.event === 'budget') this.budgets.set(a, { limit: LIMIT_NAMES[String(e.limit)] ?? String(e.limit), message: e.message });
  }

  /** Records the rows written by each query now and returns the rows per second over the window. */
  private rate(q: QueryStatus, now: number): number {
    let list = this.samples.get(q.artifact);
    if (!list) this.samples.set(q.artifact, (list = []));
    // A restarted query (new definition or parameters) counts from zero again.
    if (list.length && q.rowsWritten < list[list.length - 1]!.rows) list.length = 0;
    if (list.length && q.rowsWritten > list[list.length - 1]!.rows) this.lastRow.set(q.artifact, now);
    list.push({ t: now, rows: q.rowsWritten });
    while (list.length > 2 && now - list[0]!.t > RATE_WINDOW_MS) list.shift();
    const first = list[0]!;
    const dt = (now - first.t) / 1000;
    return dt > 0 ? Math.round(((q.rowsWritten - first.rows) / dt) * 100) / 100 : 0;
  }

  /**
   * The status of every configured artifact, in the events file's order. `rowsToday` comes from
   * the day files; `parameters` are the events file's.
   */
  compose(
    configured: ReadonlyArray<{ artifact: string; parameters: Record<string, string> }>,
    queries: readonly QueryStatus[],
    rowsToday: ReadonlyMap<string, number>,
    now = Date.now(),
  ): EventArtifactStatus[] {
    const byName = new Map(queries.map((q) => [q.artifact, q]));
    for (const name of this.samples.keys()) if (!byName.has(name)) this.samples.delete(name);
    return configured.map(({ artifact, parameters }) => {
      const q = byName.get(artifact);
      const base = { artifact, parameters, rowsToday: rowsToday.get(artifact) ?? 0 };
      if (!q) {
        const error = this.configErrors.get(artifact);
        return error ? { ...base, state: 'failed', error, rowsPerSecond: 0 } : { ...base, state: 'starting', rowsPerSecond: 0 };
      }
      const s: EventArtifactStatus = { ...base, state: 'running', rowsPerSecond: this.rate(q, now) };
      const last = this.lastRow.get(artifact);
      if (last !== undefined) s.lastRow = new Date(last).toISOString();
      const budget = this.budgets.get(artifact);
      if (q.state === 'paused') {
        s.state = 'paused';
        if (budget) {
          s.limit = budget.limit;
          s.error = budget.message;
        }
      } else if (q.state === 'backoff') {
        s.state = q.lastError ? 'failed' : 'backoff';
        if (q.lastError) s.error = `${q.lastError} (restart ${q.restarts}; it is retried after a backoff)`;
        if (budget?.limit === 'memory') s.limit = 'memory';
      } else if (q.state === 'starting' || q.state === 'stopped') s.state = q.state;
      return s;
    });
  }
}
