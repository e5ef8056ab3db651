// Runs the hostile regex cases (regex-cases.ts) one after the other on a worker thread and
// reports each as it ends, so that test/security/regex.test.ts can tell a hang (no report)
// or a crash (the thread dies) from an answer.
import { parentPort } from 'node:worker_threads';
import { hostileCases } from './regex-cases.ts';
import { query } from '../host/files/query-runner.ts';

for (let i = 0; i < hostileCases.length; i++) {
  const c = hostileCases[i]!;
  try {
    const { rows, logs } = await query(c.query ?? `SELECT ${c.expr} AS X FROM scope()`, c.vars?.() ?? {});
    // Long values are cut: the test compares lengths and errors, not megabytes.
    const json = JSON.stringify(rows);
    parentPort!.postMessage({ i, rows: json.length > 10_000 ? null : rows, logs: logs.map((l) => l.slice(0, 2000)) });
  } catch (e) {
    parentPort!.postMessage({ i, thrown: String((e as Error)?.stack ?? e).slice(0, 2000) });
  }
}
