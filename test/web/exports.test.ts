// Exports handed to the browser (main/app/downloads.ts, the web host's GET /exports/<id>): the
// workbench exports a view with `download: true`, the host serves that file once, as an
// attachment, behind the same guard as every request (token, Host, Origin), then deletes it;
// nothing else can be fetched there. Also the folder-of-day-files source of table:open.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { WebSocket } from 'ws';
import { startWebHost } from '../../main/web/host.ts';
import { Downloads, safeFileName } from '../../main/app/downloads.ts';
import type { Result, TableExportResult, TableInfo } from '../../main/ipc/contract.ts';
import { sharedTableEngine } from '../../main/tables/engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'vql-exports-'));
const host = await startWebHost({ userArtifacts: join(dir, 'artifacts') });
after(async () => {
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

const base = `http://127.0.0.1:${host.port}`;

function connect(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

let seq = 0;
function invoke<T>(ws: WebSocket, channel: string, ...args: unknown[]): Promise<Result<T>> {
  const id = ++seq;
  return new Promise((resolve) => {
    const on = (d: unknown) => {
      const m = JSON.parse(String(d));
      if (m.type === 'reply' && m.id === id) {
        ws.off('message', on);
        resolve(m.result);
      }
    };
    ws.on('message', on);
    ws.send(JSON.stringify({ type: 'invoke', id, channel, args }));
  });
}

function value<T>(r: Result<T>): T {
  assert.ok(r.ok, JSON.stringify(r));
  return r.value;
}

async function loaded(ws: WebSocket, id: string): Promise<TableInfo> {
  for (;;) {
    const info = value(await invoke<TableInfo>(ws, 'table:info', id));
    if (info.state !== 'loading') return info;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('exports as downloads', () => {
  test('served once, as an attachment, with the token; then gone from disk', async () => {
    const src = join(dir, 'evidence');
    mkdirSync(src);
    writeFileSync(join(src, 'e.csv'), 'n,cmd\n2,=1+2\n1,x\n');
    const ws = await connect();
    try {
      const id = value(await invoke<TableInfo>(ws, 'table:open', { kind: 'file', path: join(src, 'e.csv') })).id;
      await loaded(ws, id);
      const view = value(await invoke<{ view: string }>(ws, 'table:view', { id, spec: { sort: [{ column: 'n' }] } })).view;
      const done = value(await invoke<TableExportResult>(ws, 'table:export', { id, view, format: 'csv', download: true, fileName: 'e-view.csv' }));
      assert.equal(done.rows, 2);
      assert.equal(done.path, '');
      assert.match(done.download!, /^\/exports\/[0-9a-f]{32}$/);

      // The guard first: no token, another origin, another Host.
      assert.equal((await fetch(base + done.download!)).status, 401);
      assert.equal((await fetch(`${base}${done.download}?token=${host.token}`, { headers: { origin: 'http://evil.example' } })).status, 403);
      assert.equal((await fetch(`${base}${done.download}?token=${host.token}`, { headers: { 'sec-fetch-site': 'cross-site' } })).status, 403);
      assert.equal((await fetch(`${base}${done.download}?token=${host.token}`, { method: 'HEAD' })).status, 405);

      const r = await fetch(base + done.download!, { headers: { cookie: `vql_token=${host.token}` } });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-disposition'), 'attachment; filename="e-view.csv"');
      assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
      assert.equal(await r.text(), "n,cmd\r\n1,x\r\n2,'=1+2\r\n");
      const again = await fetch(`${base}${done.download}?token=${host.token}`);
      assert.equal(again.status, 404);
      const downloads = join(sharedTableEngine().folder, 'downloads');
      // The host deletes the file when the response closes, which may come just after the client has every byte.
      const left = () => (existsSync(downloads) ? readdirSync(downloads) : []);
      for (let t0 = Date.now(); left().length && Date.now() - t0 < 10_000; ) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(left(), [], 'the served file and its folder are deleted');
      assert.deepEqual(readdirSync(src), ['e.csv'], 'nothing written next to the evidence');

      // Parquet and JSON lines too; a bad name is made safe.
      const pq = value(await invoke<TableExportResult>(ws, 'table:export', { id, format: 'parquet', download: true, fileName: '../../x y.parquet' }));
      const pr = await fetch(`${base}${pq.download}?token=${host.token}`);
      assert.equal(pr.headers.get('content-disposition'), 'attachment; filename="_.._x_y.parquet"');
      assert.equal(Buffer.from(await pr.arrayBuffer()).subarray(0, 4).toString(), 'PAR1');
    } finally {
      ws.close();
    }
  });

  test('nothing else comes out of /exports/', async () => {
    for (const path of ['/exports/', '/exports/' + '0'.repeat(32), '/exports/%2e%2e%2fetc%2fpasswd', '/exports/abc']) {
      const r = await fetch(`${base}${path}${path.includes('?') ? '&' : '?'}token=${host.token}`);
      assert.ok(r.status === 404 || r.status === 400, `${path}: ${r.status}`);
    }
  });

  test('the registry: only files in a download folder of the root, each served once, dropped after its time', async () => {
    const root = join(dir, 'reg');
    const d = new Downloads(50);
    const f = join(d.newFolder(root), 'a.csv');
    writeFileSync(f, 'x');
    assert.throws(() => d.add(root, { path: join(dir, 'outside.csv'), name: 'o', contentType: 'text/csv' }), /not in a download folder/);
    assert.throws(() => d.add(root, { path: join(root, 'a.csv'), name: 'o', contentType: 'text/csv' }), /not in a download folder/);
    const id = d.add(root, { path: f, name: 'a.csv', contentType: 'text/csv' });
    assert.equal(d.take('nothex'), null);
    const got = d.take(id)!;
    assert.equal(got.path, f);
    assert.equal(d.take(id), null);
    got.done();
    assert.equal(existsSync(dirname(f)), false);
    assert.ok(existsSync(root), 'the root stays');
    // An export nobody fetched is deleted after its time.
    const g = join(d.newFolder(root), 'b.csv');
    writeFileSync(g, 'y');
    d.add(root, { path: g, name: 'b.csv', contentType: 'text/csv' });
    while (existsSync(g)) await new Promise((r) => setTimeout(r, 20));
    assert.equal(d.size, 0);
    assert.equal(safeFileName('../evil name.csv', 'x'), '_evil_name.csv');
    assert.equal(safeFileName('...', 'export.csv'), 'export.csv');
    assert.equal(safeFileName(undefined, 'export.csv'), 'export.csv');
  });
});

describe('a folder of day files', () => {
  test('opens as one table in time order (days, parts); a folder without day files is a clear error', async () => {
    const folder = join(dir, 'Generic.Client.Stats');
    mkdirSync(folder);
    writeFileSync(join(folder, '2024-01-10.csv'), '_ts,CPU\n1704844800,3\n');
    writeFileSync(join(folder, '2024-01-02.csv'), '_ts,CPU\n1704153600,1\n');
    writeFileSync(join(folder, '2024-01-02.1.csv'), '_ts,CPU,RSS\n1704153700,2,100\n');
    writeFileSync(join(folder, 'notes.md'), 'not a CSV file');
    const ws = await connect();
    try {
      const info = value(await invoke<TableInfo>(ws, 'table:open', { kind: 'folder', path: folder }));
      assert.equal(info.label, 'Generic.Client.Stats 2024-01-02..2024-01-10');
      const done = await loaded(ws, info.id);
      assert.equal(done.state, 'ready', JSON.stringify(done.error));
      const w = value(await invoke<{ cells: unknown[][] }>(ws, 'table:window', { id: info.id, offset: 0, limit: 10, columns: ['_ts', 'CPU', 'RSS'] }));
      assert.deepEqual(w.cells, [[1704153600000, 1, null], [1704153700000, 2, 100], [1704844800000, 3, null]]);
      const empty = join(dir, 'empty');
      mkdirSync(empty);
      const r = await invoke(ws, 'table:open', { kind: 'folder', path: empty });
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error.message, /holds no day files/);
      const notDir = await invoke(ws, 'table:open', { kind: 'folder', path: join(folder, 'notes.md') });
      assert.equal(notDir.ok, false);
      if (!notDir.ok) assert.match(notDir.error.message, /is not a folder/);
    } finally {
      ws.close();
    }
  });
});
