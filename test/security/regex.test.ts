// Hostile regexes (regex-cases.ts: at least 40 catastrophic, huge, invalid or odd patterns and
// inputs) against every function that takes one. Each query must end, with its rows or with a
// logged error that names the function and the pattern: never a hang, a crash or a throw.
// The cases run on a worker thread: a hang shows as a case that never reports (the watchdog
// then ends the thread and fails it, rather than freezing the test process as the old
// backtracking engine did), a crash as the thread's death.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { hostileCases } from './regex-cases.ts';

interface Report {
  i: number;
  rows?: Array<Record<string, unknown>> | null;
  logs?: string[];
  thrown?: string;
}

/** Generous: the slowest case takes about a second here. A backtracking engine never ends. */
const WATCHDOG_MS = 180_000;

const reports = new Map<number, Report>();
const waiters = new Map<number, (r: Report) => void>();
let failure: string | undefined;

function settle(r: Report): void {
  reports.set(r.i, r);
  waiters.get(r.i)?.(r);
}

// Workers do not inherit the --import tsx hooks: a small bootstrap registers tsx first.
const TSX_API = import.meta.resolve('tsx/esm/api');
const WORKER = import.meta.resolve('./regex-worker.ts');
const worker = new Worker(`import(${JSON.stringify(TSX_API)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER)}); })`, { eval: true });
let watchdog: NodeJS.Timeout;
const arm = () => {
  clearTimeout(watchdog);
  watchdog = setTimeout(() => {
    const next = hostileCases.findIndex((_, i) => !reports.has(i));
    failure = `case ${next} (${hostileCases[next]?.name}) did not end within ${WATCHDOG_MS / 1000} s`;
    void worker.terminate();
  }, WATCHDOG_MS);
};
arm();
worker.on('message', (r: Report) => {
  arm();
  settle(r);
});
worker.on('error', (e) => (failure = `the worker crashed: ${e.stack ?? e}`));
worker.on('exit', () => {
  clearTimeout(watchdog);
  failure ??= 'the worker ended early';
  for (let i = 0; i < hostileCases.length; i++) if (!reports.has(i)) settle({ i, thrown: failure });
});

function report(i: number): Promise<Report> {
  const r = reports.get(i);
  return r ? Promise.resolve(r) : new Promise((resolve) => waiters.set(i, resolve));
}

test('at least 40 hostile cases', () => {
  assert.ok(hostileCases.length >= 40, `${hostileCases.length} cases`);
});

hostileCases.forEach((c, i) => {
  test(`hostile regex: ${c.name}`, { timeout: WATCHDOG_MS * 2 }, async () => {
    const r = await report(i);
    assert.equal(r.thrown, undefined, 'the query ends without a throw, a crash or a hang');
    if (c.error) {
      const shown = JSON.stringify(c.error.pattern);
      const line = r.logs!.find((l) => l.startsWith(`error: ${c.error!.fn}: invalid regex `));
      assert.ok(line, `an error naming ${c.error.fn}: ${JSON.stringify(r.logs)}`);
      assert.ok(line.includes(shown.length > 300 ? shown.slice(0, 300) : shown), `the pattern is named: ${line.slice(0, 400)}`);
      assert.ok(line.includes(c.error.message), `RE2's message: ${line.slice(0, 400)}`);
      assert.equal(r.rows!.length, 1, 'the query still gives its row');
    } else {
      assert.deepEqual(r.logs, [], 'no error');
      assert.deepEqual(c.query ? r.rows : r.rows?.[0]?.X, c.rows);
    }
  });
});

test('the worker ends', async () => {
  await Promise.all(hostileCases.map((_, i) => report(i)));
  await worker.terminate();
});
