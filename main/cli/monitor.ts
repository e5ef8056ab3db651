/**
 * `vql monitor`: the collector without a window. Runs the events file's event artifacts until
 * SIGINT/SIGTERM (in-flight batches are written first); SIGHUP reloads. `--status` prints what
 * a running collector is doing. An events file that does not load at start (or lists only
 * artifacts that cannot run) ends it with exit status 1 and the problems, file:line:column; a
 * later change that does not load is reported and the running configuration goes on.
 */
import { parseArgs } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { Collector, EventsFileError, statusPath, type QueryStatus } from '../collector/collector.ts';
import { parseLogFormat, rowsTodayAll } from '../collector/stores.ts';
import { CollectorBusyError, processAlive } from '../collector/lock.ts';
import { CLIENT_ID_FILE, defaultDatastore } from '../collector/paths.ts';
import { join } from 'node:path';
import type { MonitorLogEntry } from '../collector/monitor-log.ts';
import { fail } from './flags.ts';
import { terminalSafe } from '../text/safe-text.ts';

/** A log entry on stderr; messages quote evidence, so never raw escape sequences to a terminal. */
function echo(e: MonitorLogEntry): void {
  const prefix = e.level === 'error' ? 'ERROR' : e.level === 'warn' ? 'WARNING' : 'INFO';
  const line = `${prefix}: [${e.event}] ${e.message}`;
  process.stderr.write(`${process.stderr.isTTY ? terminalSafe(line) : line}\n`);
}


async function status(datastore: string): Promise<number> {
  const file = statusPath(datastore);
  let doc: { pid: number; running: boolean; updated: string; clientId: string; queries: QueryStatus[] } | null = null;
  if (existsSync(file)) doc = JSON.parse(readFileSync(file, 'utf8'));
  const running = !!doc && doc.running && processAlive(doc.pid);
  // Only read: a datastore without a client id has no rows (and --status must not create one).
  const idFile = join(datastore, CLIENT_ID_FILE);
  const id = existsSync(idFile) ? readFileSync(idFile, 'utf8').trim() : null;
  let today = new Map<string, number>();
  if (id) {
    today = await rowsTodayAll({ datastore, clientId: id });
  }
  process.stdout.write(`collector: ${running ? `running (pid ${doc!.pid}, status updated ${doc!.updated})` : 'not running'}\nclient id: ${id ?? 'none yet'}\ndatastore: ${datastore}\n\n`);
  const names = new Set([...(doc?.queries ?? []).map((q) => q.artifact), ...[...today.keys()].map((k) => k.split('/')[0]!)]);
  const rows = [['ARTIFACT', 'STATE', 'ROWS TODAY', 'LAST ERROR']];
  for (const name of [...names].sort()) {
    const q = doc?.queries.find((x) => x.artifact === name);
    let count = 0;
    for (const [k, n] of today) if (k === name || k.startsWith(name + '/')) count += n;
    rows.push([name, running && q ? q.state : 'not running', String(count), q?.lastError ?? '']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
  return 0;
}

export async function monitor(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string' },
      datastore: { type: 'string' },
      definitions: { type: 'string', multiple: true, default: [] },
      'keep-days': { type: 'string' },
      max_wait: { type: 'string', default: '1' },
      'allow-execve': { type: 'boolean', default: false },
      status: { type: 'boolean', default: false },
      'log-format': { type: 'string', default: 'csv' },
    },
  });
  const datastore = values.datastore ?? defaultDatastore();
  if (values.status) return status(datastore);
  const maxWait = Number(values.max_wait);
  if (!(maxWait > 0 && Number.isFinite(maxWait))) fail(`--max_wait must be a positive number of seconds, not '${values.max_wait}'`);
  let keepDays: number | undefined;
  if (values['keep-days'] !== undefined) {
    keepDays = Number(values['keep-days']);
    if (!(Number.isInteger(keepDays) && keepDays >= 1)) fail(`--keep-days must be a whole number of days (1 or more), not '${values['keep-days']}'`);
  }
  let logFormat;
  try {
    logFormat = parseLogFormat(values['log-format'] as string);
  } catch (e) {
    fail(`--log-format: ${(e as Error).message}`);
  }
  const collector = new Collector({
    datastore,
    logFormat,
    eventsFile: values.events,
    definitions: values.definitions as string[],
    allowExecve: values['allow-execve'] as boolean,
    maxWaitMs: maxWait * 1000,
    keepDays,
    echo,
    lockOwner: 'vql monitor',
    failOnBadEventsFile: true,
  });
  // Signals are handled from before start(): a SIGTERM during start-up still stops cleanly.
  let started = false;
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) process.exit(130);
      stopping = true;
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', () => void (started && collector.reload()));
  });
  try {
    await collector.start();
    started = true;
  } catch (e) {
    if (e instanceof EventsFileError) {
      // Each problem was logged (stderr too) as it was found; this says why nothing runs.
      process.stderr.write(`vql monitor: error: the events file ${collector.eventsFile} cannot be used: fix the problems above (file:line:column), then start again\n`);
      await collector.store.close();
      return 1;
    }
    if (!(e instanceof CollectorBusyError)) throw e;
    process.stderr.write(`vql monitor: error: ${e.message}\n`);
    return 1;
  }
  await stopped;
  await collector.stop();
  return 0;
}
