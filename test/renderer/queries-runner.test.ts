// The query runner against a real AppService (in-process Bridge): rows stream into the
// RowSource, a parse error is refused with its span, Stop cancels and keeps the rows, and
// pushes that arrive before the start's reply are not lost.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { QueryRunner, type RunState } from '../../renderer/lib/state/queries.ts';
import { statusText } from '../../renderer/lib/run/status.ts';
import { artifactTemplate, queryToArtifact } from '../../renderer/lib/editor/templates.ts';
import { serviceBridge, type ServiceBridge } from './queries-bridge.ts';

function until(runner: QueryRunner, ok: (s: RunState) => boolean, ms = 10_000): Promise<RunState> {
  return new Promise((resolve, reject) => {
    if (ok(runner.state)) return resolve(runner.state);
    const t = setTimeout(() => reject(new Error(`timed out in state ${JSON.stringify(runner.state)}`)), ms);
    const off = runner.subscribe((s) => {
      if (ok(s)) {
        clearTimeout(t);
        off();
        resolve(s);
      }
    });
  });
}

const ended = (s: RunState) => ['done', 'failed', 'cancelled'].includes(s.status);

describe('QueryRunner over a real AppService', () => {
  let sb: ServiceBridge;
  before(() => {
    sb = serviceBridge();
  });
  after(() => sb.close());

  test('a query streams its rows into the source and ends done', async () => {
    const runner = new QueryRunner(sb.bridge);
    const started = await runner.run('SELECT _value AS N, format(format="n%d", args=_value) AS Name FROM range(end=1200)');
    assert.equal(started.status === 'running' || started.status === 'done', true);
    const s = await until(runner, ended);
    assert.equal(s.status, 'done');
    assert.equal(s.rows, 1200);
    assert.equal(runner.source.rowCount, 1200);
    assert.deepEqual(runner.source.columns.map((c) => c.name), ['N', 'Name']);
    assert.equal(runner.source.cell(1199, 0), 1199);
    assert.equal(runner.source.cell(7, 1), 'n7');
    assert.match(statusText(s, 0), /^Done · 1,200 rows · \d+(\.\d)? m?s$/);
    runner.dispose();
  });

  test('a syntax error is refused at start with its line and column, and no rows', async () => {
    const runner = new QueryRunner(sb.bridge);
    const s = await runner.run('SELECT * FROM range(end=3)\nWHERE ,x');
    assert.equal(s.status, 'failed');
    assert.equal(s.error?.code, 'ParseError');
    assert.deepEqual([s.error?.span?.line, s.error?.span?.column], [2, 7]);
    assert.match(statusText(s, 0), /^Error · line 2, column 7: expected an expression after 'WHERE'/);
    assert.equal(runner.source.rowCount, 0);
    runner.dispose();
  });

  test('Stop cancels an endless query; the rows so far stay', async () => {
    const runner = new QueryRunner(sb.bridge);
    await runner.run('SELECT Unix FROM clock(ms=20)');
    await until(runner, (s) => s.rows >= 3);
    runner.stop();
    const s = await until(runner, ended);
    assert.equal(s.status, 'cancelled');
    assert.ok(s.rows >= 3 && runner.source.rowCount === s.rows, `rows ${s.rows} / ${runner.source.rowCount}`);
    assert.match(statusText(s, 0), /^Stopped · \d+ rows/);
    runner.dispose();
  });

  test('an artifact collects with typed arguments; a bad argument fails with a message', async () => {
    const runner = new QueryRunner(sb.bridge);
    await runner.collect('Generic.System.Pslist', { Pid: String(process.pid) });
    const s = await until(runner, ended);
    assert.equal(s.status, 'done', JSON.stringify(s.error));
    assert.equal(s.rows, 1);
    assert.equal(runner.source.cell(0, runner.source.columns.findIndex((c) => c.name === 'Pid')), process.pid);
    await runner.collect('Generic.System.Pslist', { Nope: '1' });
    const bad = await until(runner, ended);
    assert.equal(bad.status, 'failed');
    assert.match(bad.error?.message ?? '', /Parameter Nope not known/);
    const missing = await runner.collect('No.Such.Artifact');
    assert.equal(missing.status, 'failed');
    assert.equal(missing.error?.code, 'NotFound');
    runner.dispose();
  });

  test('rows and the end that overtake the start reply are kept', async () => {
    sb.replyAfterDone = true;
    try {
      const runner = new QueryRunner(sb.bridge);
      const started = await runner.run('SELECT * FROM range(end=5)');
      // The query finished while the reply was held back: the buffered pushes were replayed.
      assert.equal(started.status, 'done');
      assert.equal(runner.source.rowCount, 5);
      runner.dispose();
    } finally {
      sb.replyAfterDone = false;
    }
  });

  test('Stop pressed while starting cancels as soon as the id is known', async () => {
    sb.replyDelay = 50;
    try {
      const runner = new QueryRunner(sb.bridge);
      const p = runner.run('SELECT Unix FROM clock(ms=10)');
      runner.stop();
      await p;
      sb.replyDelay = 0;
      const s = await until(runner, ended);
      assert.equal(s.status, 'cancelled');
      runner.dispose();
    } finally {
      sb.replyDelay = 0;
    }
  });

  test('a second run replaces the first: its rows only, the first is cancelled', async () => {
    const runner = new QueryRunner(sb.bridge);
    await runner.run('SELECT Unix FROM clock(ms=10)');
    await until(runner, (s) => s.rows >= 1);
    await runner.run('SELECT * FROM range(end=2)');
    const s = await until(runner, ended);
    assert.equal(s.status, 'done');
    assert.equal(runner.source.rowCount, 2);
    assert.deepEqual(runner.source.columns.map((c) => c.name), ['_value']);
    runner.dispose();
  });

  test('logs of a run are kept in order', async () => {
    const runner = new QueryRunner(sb.bridge);
    await runner.run("SELECT log(message='hello %v', args=[1]) FROM scope()");
    const s = await until(runner, ended);
    assert.equal(s.status, 'done');
    assert.ok(s.logs.some((l) => l.message.includes('hello 1')), JSON.stringify(s.logs));
    runner.dispose();
  });

  test('the CLIENT template and a console query saved as an artifact run once saved', async () => {
    const runner = new QueryRunner(sb.bridge);
    for (const yaml of [artifactTemplate('CLIENT', []), queryToArtifact('SELECT _value AS N\nFROM range(end=4)', [])]) {
      const saved = await sb.bridge.invoke('artifacts:save', yaml);
      assert.ok(saved.ok, JSON.stringify(saved));
      await runner.collect(saved.value.name);
      const s = await until(runner, ended);
      assert.equal(s.status, 'done', `${saved.value.name}: ${JSON.stringify(s.error)}`);
      assert.ok(s.rows > 0, saved.value.name);
    }
    assert.equal(runner.source.columns[0]?.name, 'N');
    runner.dispose();
  });
});
