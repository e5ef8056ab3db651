/**
 * The collector's own log: one JSON object per line in `<datastore>/logs/monitor.jsonl`
 * (start, stop, reload, errors, budgets, rows written per artifact), echoed to a sink
 * (stderr for `vql monitor`). A log that cannot be written never stops the collector.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type MonitorEvent = 'start' | 'stop' | 'reload' | 'query' | 'error' | 'budget' | 'rows' | 'storage' | 'info';

export interface MonitorLogEntry {
  ts: string;
  level: 'info' | 'warn' | 'error';
  event: MonitorEvent;
  artifact?: string;
  message: string;
  [extra: string]: unknown;
}

/** The log file of a datastore. */
export function monitorLogPath(datastore: string): string {
  return join(datastore, 'logs', 'monitor.jsonl');
}

export class MonitorLog {
  private broken = false;
  constructor(
    readonly path: string,
    private readonly echo: (e: MonitorLogEntry) => void = () => {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  write(level: MonitorLogEntry['level'], event: MonitorEvent, message: string, extra: Record<string, unknown> = {}): void {
    const entry: MonitorLogEntry = { ts: this.now().toISOString(), level, event, message, ...extra };
    this.echo(entry);
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      appendFileSync(this.path, JSON.stringify(entry) + '\n');
      this.broken = false;
    } catch (e) {
      // The datastore may be read-only or full: say so once on the echo sink, and go on.
      if (!this.broken) {
        this.broken = true;
        this.echo({ ts: entry.ts, level: 'error', event: 'storage', message: `cannot write the log ${this.path}: ${(e as Error).message}` });
      }
    }
  }
}
