// The engine's recent queries and log lines (main/vql/eval/recent.ts), which profile(queries=TRUE)
// and profile(logs=TRUE) read: bounded rings, running queries kept until they end, each log line
// kept once even when a query runs queries of its own (query() shares its caller's logger).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, createRegistry, parseStatement, Session } from '../../../main/vql/index.ts';
import { registerFiles } from '../../../main/host/files/index.ts';
import {
  RECENT_LOG_LINES, RECENT_QUERIES, queryCounts, queryStarted, queryText, recentLogLines, recentQueries, teeLogger,
} from '../../../main/vql/eval/recent.ts';

test('finished queries: the last RECENT_QUERIES, oldest first, with a Duration; running ones after them with 0', () => {
  const ends = Array.from({ length: RECENT_QUERIES + 20 }, (_, i) => queryStarted(parseStatement(`SELECT ${i} FROM scope()`)));
  const still = queryStarted(parseStatement("SELECT 'still running' FROM scope()"));
  ends.forEach((end) => end());
  const list = recentQueries();
  assert.equal(list.length, RECENT_QUERIES + 1);
  assert.equal(queryText(list[0]!), 'SELECT 20 FROM scope()');
  assert.equal(queryText(list[RECENT_QUERIES - 1]!), `SELECT ${RECENT_QUERIES + 19} FROM scope()`);
  assert.ok(list.slice(0, RECENT_QUERIES).every((q) => q.durationNs > 0));
  assert.equal(queryText(list.at(-1)!), "SELECT 'still running' FROM scope()");
  assert.equal(list.at(-1)!.durationNs, 0);
  const running = queryCounts().running;
  still();
  still(); // ending twice changes nothing
  assert.equal(queryCounts().running, running - 1);
});

test('a session logs each SELECT and each LET <= while it runs, not a LET =', async () => {
  const session = new Session({ registry: createRegistry() });
  const before = queryCounts().total;
  for (const text of ['LET A = SELECT 1 FROM scope()', 'LET B <= SELECT 2 FROM scope()', 'SELECT 3 FROM scope()']) {
    for await (const _ of session.execute(parseStatement(text))) void _;
  }
  assert.equal(queryCounts().total, before + 2);
  const texts = recentQueries().slice(-2).map(queryText);
  assert.deepEqual(texts, ['LET B <= SELECT 2 FROM scope()', 'SELECT 3 FROM scope()']);
});

test('log lines: the last RECENT_LOG_LINES, each once, even from query() inside a query', async () => {
  const registry = createRegistry();
  registerFiles(registry, {});
  const seen: string[] = [];
  await collect("SELECT * FROM query(query=\"SELECT log(message='inner-marker') FROM scope()\")", { registry, log: (_l, m) => seen.push(m) });
  assert.deepEqual(seen.filter((m) => m.includes('inner-marker')), ['inner-marker']);
  assert.equal(recentLogLines().filter((l) => l.includes('inner-marker')).length, 1);
  const log = teeLogger(() => {});
  assert.equal(teeLogger(log), log, 'a teed logger is not teed again');
  // A session logging through another's scope (as Artifact.X() calls do): kept once.
  const outer = new Session({ registry, log: () => {} });
  const inner = new Session({ registry, log: (l, m) => outer.scope.log(l, m) });
  inner.scope.log('info', 'nested-marker');
  assert.equal(recentLogLines().filter((l) => l.includes('nested-marker')).length, 1);
  for (let i = 0; i < RECENT_LOG_LINES + 5; i++) log('warn', `line ${i}`);
  const lines = recentLogLines();
  assert.equal(lines.length, RECENT_LOG_LINES);
  assert.match(lines[0]!, /^\[WARN\] \S+ line 5$/);
  assert.match(lines.at(-1)!, new RegExp(`^\\[WARN\\] \\S+ line ${RECENT_LOG_LINES + 4}$`));
});
