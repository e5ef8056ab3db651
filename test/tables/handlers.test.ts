// The table:* handlers as the renderer calls them (main/app/tables.ts): open with progress
// pushes, windows, exports (CSV/JSON/JSON lines/Parquet, formula neutralization, never next to
// the evidence), problems, close; the monitoring log browser's day range through the same
// engine (one table across days and schema parts, in time order, Velociraptor's cells decoded);
// and the AppService registration (channels reach the handlers, a closed connection drops its tables).
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bench } from './helpers.ts';
import { tableHandlers } from '../../main/app/tables.ts';
import type { ServiceContext } from '../../main/app/service.ts';
import { AppService } from '../../main/app/service.ts';
import type { TableProgress, Result } from '../../main/ipc/contract.ts';
import { dayFilePath } from '../../main/collector/paths.ts';

const b = bench();
after(() => b.dispose());

function handlers(datastore?: string) {
  const pushes: Array<[string, TableProgress]> = [];
  const ctx = { opts: { push: (_ch: string, id: string, p: TableProgress) => pushes.push([id, p]), ...(datastore ? { collector: { datastore } } : {}) } } as unknown as ServiceContext;
  return { h: tableHandlers(ctx, b.engine), pushes };
}

function value<T>(r: Result<T>): T {
  assert.ok(r.ok, JSON.stringify(r));
  return r.value;
}

async function ready(h: ReturnType<typeof handlers>['h'], id: string) {
  for (;;) {
    const info = value(await h.invoke['table:info'](id));
    if (info.state !== 'loading') return info;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('table:* handlers', () => {
  test('open pushes progress and the final info; windows; problems; close drops the table', async () => {
    const { h, pushes } = handlers();
    const p = b.file('h.csv', 'a,b\n1,=cmd|calc\n2,x\n3,y,extra\n');
    const info = value(await h.invoke['table:open']({ kind: 'file', path: p }));
    const done = await ready(h, info.id);
    assert.equal(done.state, 'ready');
    assert.equal(done.problemCount, 1);
    assert.ok(pushes.some(([id, pr]) => id === info.id && pr.info?.state === 'ready'));
    const w = value(await h.invoke['table:window']({ id: info.id, offset: 0, limit: 10 }));
    assert.deepEqual(w.rows, [1, 2, 3]);
    const probs = value(await h.invoke['table:problems']({ id: info.id }));
    assert.deepEqual(probs.problems.map((x) => [x.line, x.row]), [[4, 3]]);
    assert.equal(value(await h.invoke['table:close'](info.id)), true);
    const gone = await h.invoke['table:window']({ id: info.id, offset: 0, limit: 1 });
    assert.equal(gone.ok, false);
    if (!gone.ok) assert.equal(gone.error.code, 'NotFound');
  });

  test('bad requests are clear errors', async () => {
    const { h } = handlers();
    for (const [req, code] of [[{ kind: 'file', path: 'relative.csv' }, 'BadRequest'], [{ kind: 'file', path: join(b.dir, 'missing.csv') }, 'NotFound'], [{ kind: 'file', path: b.dir }, 'BadRequest'], [{ kind: 'nope' }, 'BadRequest'], [null, 'BadRequest'], [{ kind: 'logs', client: 'C.1', artifact: 'A', from: '2024-01-01', to: '2024-01-01' }, 'NoCollector']] as const) {
      const r = await h.invoke['table:open'](req as never);
      assert.equal(r.ok, false, JSON.stringify(req));
      if (!r.ok) assert.equal(r.error.code, code, JSON.stringify(r.error));
    }
    const r = await h.invoke['table:settings']({ memoryLimit: 5 });
    assert.equal(r.ok, false);
    const s = value(await h.invoke['table:settings']({ memoryLimit: 300 * 2 ** 20 }));
    assert.equal(s.memoryLimit, 300 * 2 ** 20);
    value(await h.invoke['table:settings']({ memoryLimit: 512 * 2 ** 20 }));
  });

  test('exports: CSV, JSON, JSON lines, Parquet; formulas neutralized; never next to the evidence, never over a file unasked', async () => {
    const { h } = handlers();
    const p = b.file('e.csv', '_ts,cmd,n\n1714521600,=1+2,5\n1714521601,"@SUM(A1),x",-3\n');
    const id = value(await h.invoke['table:open']({ kind: 'file', path: p })).id;
    await ready(h, id);
    const outDir = join(b.dir, 'exports');
    mkdirSync(outDir, { recursive: true });
    const csv = value(await h.invoke['table:export']({ id, format: 'csv', path: join(outDir, 'e.csv') }));
    assert.equal(csv.rows, 2);
    assert.equal(readFileSync(join(outDir, 'e.csv'), 'utf8'), `_ts,cmd,n\r\n2024-05-01T00:00:00.000Z,'=1+2,5\r\n2024-05-01T00:00:01.000Z,"'@SUM(A1),x",-3\r\n`);
    value(await h.invoke['table:export']({ id, format: 'json', path: join(outDir, 'e.json'), neutralize: false }));
    assert.deepEqual(JSON.parse(readFileSync(join(outDir, 'e.json'), 'utf8')), [{ _ts: '2024-05-01T00:00:00.000Z', cmd: '=1+2', n: 5 }, { _ts: '2024-05-01T00:00:01.000Z', cmd: '@SUM(A1),x', n: -3 }]);
    value(await h.invoke['table:export']({ id, format: 'jsonl', path: join(outDir, 'e.jsonl'), columns: ['n', 'cmd'] }));
    assert.equal(readFileSync(join(outDir, 'e.jsonl'), 'utf8'), `{"n":5,"cmd":"'=1+2"}\n{"n":-3,"cmd":"'@SUM(A1),x"}\n`);
    const v = value(await h.invoke['table:view']({ id, spec: { sort: [{ column: 'n' }] } }));
    value(await h.invoke['table:export']({ id, view: v.view, format: 'parquet', path: join(outDir, 'e.parquet') }));
    const back = value(await h.invoke['table:open']({ kind: 'file', path: join(outDir, 'e.parquet') }));
    await ready(h, back.id);
    assert.deepEqual(value(await h.invoke['table:window']({ id: back.id, offset: 0, limit: 5, columns: ['n'] })).cells, [[-3], [5]]);
    const refused = async (path: string, code: string, extra = {}) => {
      const r = await h.invoke['table:export']({ id, format: 'csv', path, ...extra });
      assert.equal(r.ok, false, path);
      if (!r.ok) assert.equal(r.error.code, code, r.error.message);
    };
    await refused(p, 'Refused');
    await refused(join(b.dir, 'src', 'next-to-evidence.csv'), 'Refused');
    await refused(join(b.engine.folder, 'x.csv'), 'Refused');
    await refused(join(outDir, 'e.csv'), 'Exists');
    await refused(join(b.dir, 'no-such-dir', 'x.csv'), 'BadRequest');
    await refused('relative.csv', 'BadRequest');
    value(await h.invoke['table:export']({ id, format: 'csv', path: join(outDir, 'e.csv'), overwrite: true }));
    assert.deepEqual(readdirSync(outDir).sort(), ['e.csv', 'e.json', 'e.jsonl', 'e.parquet'], 'no partial files left');
    assert.equal(existsSync(join(b.dir, 'src', 'next-to-evidence.csv')), false);
  });
});

describe('monitoring logs', () => {
  test('a day range: days and schema parts in one table by column name, in _ts order, cells decoded', async () => {
    const ds = join(b.dir, 'datastore');
    const client = 'C.0123abcd';
    const art = 'Generic.Client.Stats';
    const write = (day: string, part: number, text: string) => {
      const f = dayFilePath(ds, client, art, day, part);
      mkdirSync(join(f, '..'), { recursive: true });
      writeFileSync(f, text);
    };
    // Part 0 and part 1 (a schema change) of one day, interleaved in time; a second day; a day out of range.
    write('2024-05-01', 0, '_ts,Pid,Name\n1714521600,10,a\n1714521610,11, 123\n1714521630,12,base64:aGVsbG8=\n');
    write('2024-05-01', 1, '_ts,Name,Extra\n1714521605,b,{"k":1}\n1714521620,c,x\n');
    write('2024-05-02', 0, '_ts,Pid,Name\n1714608000,20,d\n1714608001,21,e,oops\n');
    write('2024-05-03', 0, '_ts,Pid,Name\n1714694400,30,f\n');
    const { h } = handlers(ds);
    const info = value(await h.invoke['table:open']({ kind: 'logs', client, artifact: art, from: '2024-05-01', to: '2024-05-02' }));
    const done = await ready(h, info.id);
    assert.equal(done.state, 'ready', JSON.stringify(done.error));
    assert.deepEqual(done.columns.map((c) => [c.name, c.type]), [['_ts', 'timestamp'], ['Pid', 'number'], ['Name', 'text'], ['Extra', 'text'], ['_raw', 'text']]);
    const w = value(await h.invoke['table:window']({ id: info.id, offset: 0, limit: 20, columns: ['Pid', 'Name', 'Extra'] }));
    assert.deepEqual(w.cells, [[10, 'a', null], [null, 'b', '{"k":1}'], [11, '123', null], [null, 'c', 'x'], [12, 'hello', null], [20, 'd', null], [null, null, null]]);
    assert.equal(done.problemCount, 1);
    const probs = value(await h.invoke['table:problems']({ id: info.id }));
    assert.deepEqual(probs.problems.map((x) => [x.line, x.row]), [[3, 7]]);
    assert.match(probs.problems[0]!.file, /2024-05-02\.csv$/);
    const tl = value(await h.invoke['table:timeline']({ id: info.id, buckets: 2 }));
    assert.equal(tl.counts.reduce((s, x) => s + x, 0), 6, 'the chart counts rows with a time');
    const none = await h.invoke['table:open']({ kind: 'logs', client, artifact: art, from: '2023-01-01', to: '2023-01-02' });
    assert.equal(none.ok, false);
  });
});

describe('through the app service', () => {
  test('the channels reach the handlers; a closed connection drops its tables', async () => {
    const pushes: string[] = [];
    const s = new AppService({ userArtifacts: join(b.dir, 'user'), push: (ch: string, ..._args: unknown[]) => void pushes.push(ch), isolation: 'inline' });
    const p = b.file('svc.csv', 'a\n1\n2\n');
    const r = await s.invoke('table:open', { kind: 'file', path: p });
    assert.ok(r.ok, JSON.stringify(r));
    for (;;) {
      const i = await s.invoke('table:info', r.value.id);
      if (i.ok && i.value.state !== 'loading') break;
      await new Promise((res) => setTimeout(res, 20));
    }
    assert.ok(pushes.includes('table:progress'));
    const w = await s.invoke('table:window', { id: r.value.id, offset: 0, limit: 5 });
    assert.ok(w.ok && w.value.rows.length === 2);
    s.cancelAll();
    const after = await s.invoke('table:window', { id: r.value.id, offset: 0, limit: 5 });
    assert.equal(after.ok, false);
  });
});
