// The run form's "Collect to zip" below the DOM: the QueryRunner asks for a container, its end
// state carries the zip's download (from a real AppService), and the line under the form says
// what the zip holds.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { QueryRunner, type RunState } from '../../renderer/lib/state/queries.ts';
import { collectionText } from '../../renderer/lib/run/status.ts';
import { sharedDownloads } from '../../main/app/downloads.ts';
import { serviceBridge, type ServiceBridge } from './queries-bridge.ts';

let sb: ServiceBridge;
before(() => {
  sb = serviceBridge();
});
after(() => sb.close());

function ended(runner: QueryRunner): Promise<RunState> {
  return new Promise((resolve) => {
    const check = (s: RunState) => ['done', 'failed', 'cancelled'].includes(s.status) && (off(), resolve(s));
    const off = runner.subscribe(check);
    check(runner.state);
  });
}

test('collect with container: the end state holds the zip\'s one-time download and counts; a plain run has none', async () => {
  const runner = new QueryRunner(sb.bridge);
  await runner.collect('Generic.System.Pslist', { Pid: String(process.pid) }, { container: true });
  const s = await ended(runner);
  assert.equal(s.status, 'done', JSON.stringify(s.error));
  const c = s.collection;
  assert.ok(c, 'the end carries the collection');
  assert.equal(c.rows, 1);
  assert.equal(c.rows, s.rows, 'the zip holds the rows the table shows');
  assert.match(c.download, /^\/exports\/[0-9a-f]{32}$/);
  const file = sharedDownloads().take(c.download.slice('/exports/'.length));
  assert.ok(file);
  file.done();

  await runner.collect('Generic.System.Pslist', { Pid: String(process.pid) });
  const plain = await ended(runner);
  assert.equal(plain.status, 'done');
  assert.equal(plain.collection, undefined, 'a new run forgets the last zip; a plain run writes none');
  runner.dispose();
});

test('the line under the form: name, rows, uploads and sizes', () => {
  const c = { download: '/exports/x', name: 'Collection-h-2026-12-07T04_05_06Z.zip', bytes: 3300, rows: 1234, uploads: 2, uploadedBytes: 2048, sessionId: 'F.X' };
  assert.equal(collectionText(c, 'downloaded'), 'Downloaded Collection-h-2026-12-07T04_05_06Z.zip · 1,234 rows, 2 uploads (2.0 KB) · 3.2 KB zip');
  assert.equal(collectionText({ ...c, rows: 1, uploads: 0, uploadedBytes: 0, bytes: 900 }, 'ready'), 'Collected Collection-h-2026-12-07T04_05_06Z.zip · 1 row, 0 uploads · 900 B zip');
});
