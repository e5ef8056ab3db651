// The workbench session and its window cache (renderer/lib/workbench/session.ts,
// window-cache.ts) driven in Node through a Bridge over a real AppService and its DuckDB
// engine: open with progress (pushes that overtake the reply included), rows by window as the
// grid scrolls (placeholders until they arrive, a few windows kept, late windows of an old view
// dropped), views, jump to a row, tags and tagged-only, problems, groups, value counts, SQL,
// exports, opening another file closes the first, cancel.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bridge, TableWindow } from '../../main/ipc/contract.ts';
import { WorkbenchSession } from '../../renderer/lib/workbench/session.ts';
import { WindowCache } from '../../renderer/lib/workbench/window-cache.ts';
import { serviceBridge, type ServiceBridge } from './queries-bridge.ts';

const ROWS = 5000;
/** Data rows (1-based) that are malformed: too few fields, too many. */
const SHORT = 1234;
const LONG = 4000;
const USERS = ['root', 'alice', 'bob', 'SYSTEM'];

let sb: ServiceBridge;
let dir: string;
let file: string;

before(() => {
  sb = serviceBridge();
  dir = mkdtempSync(join(tmpdir(), 'vql-wb-session-'));
  mkdirSync(join(dir, 'evidence'));
  mkdirSync(join(dir, 'out'));
  const lines = ['id,user,value,note'];
  for (let i = 1; i <= ROWS; i++) {
    if (i === SHORT) lines.push(`${i},${USERS[i % 4]}`);
    else if (i === LONG) lines.push(`${i},${USERS[i % 4]},${i / 4},note ${i},EXTRA`);
    else lines.push(`${i},${USERS[i % 4]},${i / 4},${i % 100 === 0 ? '=cmd|calc' : `note ${i}`}`);
  }
  file = join(dir, 'evidence', 'events.csv');
  writeFileSync(file, lines.join('\n') + '\n');
});
after(() => {
  sb.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves when `pred` holds after a notification of the session (or now). */
function until(s: WorkbenchSession, pred: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (pred()) return resolve();
    const timer = setTimeout(() => (off(), reject(new Error(`timed out waiting for ${what} (status ${s.status}, error ${s.error ?? s.viewError})`))), 60_000);
    const off = s.subscribe(() => {
      if (pred()) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  });
}

/** Rows first..last of the view, as the grid would get them: asked, then waited for. */
async function rowsAt(s: WorkbenchSession, first: number, last: number): Promise<number[]> {
  s.cache.want(first, last);
  const all = () => Array.from({ length: last - first + 1 }, (_, k) => s.cache.row(first + k));
  await until(s, () => all().every(Boolean), `rows ${first}..${last}`);
  return all().map((r) => r!.row);
}

async function opened(path = file): Promise<WorkbenchSession> {
  const s = new WorkbenchSession(sb.bridge, { windowSize: 100, keep: 4 });
  assert.equal(await s.open({ kind: 'file', path }), true, s.error ?? '');
  await until(s, () => s.status === 'ready' && s.problemTotal > 0, 'the load and its problems');
  return s;
}

describe('open and scroll', () => {
  test('pushes that come before the reply are not lost; the first rows show from the reply; problems listed', async () => {
    // table:open's reply is held until the load's last push was delivered: every push overtakes it.
    let readyPushed!: () => void;
    const pushed = new Promise<void>((r) => (readyPushed = r));
    const off = sb.bridge.subscribe('table:progress', (_id, p) => p.info?.state === 'ready' && readyPushed());
    const late: Bridge = {
      ...sb.bridge,
      invoke: (async (channel: string, ...args: unknown[]) => {
        const r = await (sb.bridge.invoke as (c: string, ...a: unknown[]) => Promise<unknown>)(channel, ...args);
        if (channel === 'table:open') await pushed;
        return r;
      }) as Bridge['invoke'],
    };
    const s = new WorkbenchSession(late, { windowSize: 100, keep: 4 });
    try {
      const states: string[] = [];
      s.subscribe(() => states.at(-1) !== s.status && states.push(s.status));
      assert.equal(await s.open({ kind: 'file', path: file }), true);
      assert.ok(s.info, 'the reply is there');
      assert.equal(s.status, 'ready', 'the ready push that came before the reply was kept');
      assert.ok(states.indexOf('opening') >= 0 && states.indexOf('opening') < states.indexOf('ready'), states.join(' '));
      assert.equal(states.at(-1), 'ready');
      assert.equal(s.rowCount, ROWS);
      assert.deepEqual(s.columns.map((c) => [c.name, c.type]), [['id', 'number'], ['user', 'text'], ['value', 'number'], ['note', 'text'], ['_raw', 'text']]);
      await until(s, () => s.problemTotal === 2, 'problems');
      assert.deepEqual(s.problems.map((p) => [p.line, p.row]), [[SHORT + 1, SHORT], [LONG + 1, LONG]]);
      assert.match(s.problems[0]!.reason, /too few fields/);
    } finally {
      off();
      await s.dispose();
    }
  });

  test('windows as the grid scrolls: placeholders until they arrive, a few kept, far ones dropped', async () => {
    const s = await opened();
    try {
      assert.equal(s.cache.row(2500), undefined, 'not fetched yet: a placeholder');
      assert.deepEqual(await rowsAt(s, 2490, 2510), Array.from({ length: 21 }, (_, k) => 2491 + k));
      const r = s.cache.row(2499)!;
      assert.deepEqual(r.cells.slice(0, 4), [2500, 'root', 625, '=cmd|calc']);
      // The viewport's windows and one on each side: 24, 25 (and 23); at most `keep` (4) held.
      await rowsAt(s, 10, 20);
      await rowsAt(s, 4900, 4999);
      assert.ok(s.cache.windows <= 4, `${s.cache.windows} windows held`);
      assert.equal(s.cache.row(2499), undefined, 'a far window was dropped');
      assert.equal(s.cache.row(ROWS), undefined, 'past the end');
    } finally {
      await s.dispose();
    }
  });
});

describe('the window cache alone', () => {
  test('a late window of an old view is dropped; a failed window is asked again', async () => {
    const s = await opened();
    const id = s.info!.id;
    try {
      const gates: Array<() => void> = [];
      let fail = true;
      const held = async (offset: number, limit: number): Promise<TableWindow> => {
        await new Promise<void>((r) => gates.push(r));
        const w = await sb.bridge.invoke('table:window', { id, offset, limit });
        assert.ok(w.ok);
        return w.value;
      };
      const changes: number[] = [];
      let retryMs = 60_000;
      const cache = new WindowCache(held, { size: 10, keep: 3, retryMs: 0, onChange: () => changes.push(cache.windows) });
      const slow = new WindowCache(async () => {
        retryMs--;
        throw new Error('no');
      }, { retryMs });
      slow.reset(100);
      slow.want(0, 5);
      await new Promise((r) => setTimeout(r, 20));
      slow.want(0, 5);
      slow.want(0, 5);
      assert.equal(retryMs, 60_000 - 1, 'a failed window is not asked again at once (a redraw after a failure must not loop)');
      cache.reset(ROWS);
      cache.want(0, 5);
      assert.equal(cache.pending, 2, 'window 0 and the next one');
      cache.reset(ROWS, async (offset, limit) => {
        if (fail) throw new Error('the engine said no');
        const w = await sb.bridge.invoke('table:window', { id, offset: offset + 1000, limit });
        assert.ok(w.ok);
        return { ...w.value, offset };
      });
      for (const g of gates) g();
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(cache.row(0), undefined, 'the old generation\'s window did not land');
      cache.want(0, 5);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(cache.error, 'the engine said no');
      assert.equal(cache.windows, 0, 'failed windows are not held');
      fail = false;
      cache.want(0, 5);
      while (!cache.row(0)) await new Promise((r) => setTimeout(r, 10));
      assert.equal(cache.row(0)!.row, 1001);
      assert.equal(cache.error, null);
      assert.ok(changes.length >= 2);
    } finally {
      await s.dispose();
    }
  });
});

describe('views and the panels', () => {
  let s: WorkbenchSession;
  before(async () => {
    s = await opened();
  });
  after(() => s.dispose());

  test('sort and filter make a view; the count and the rows follow', async () => {
    s.spec.toggleSort('value');
    s.spec.toggleSort('value');
    s.spec.setFilter(s.columns.find((c) => c.name === 'user')!, '=alice');
    await s.apply();
    await until(s, () => !s.applying, 'the view');
    assert.equal(s.viewError, null);
    assert.ok(s.viewId);
    // alice: ids 1, 5, 9... (i % 4 === 1) and the short row (1234 % 4 === 2: bob) is not hers.
    const alice = Array.from({ length: ROWS }, (_, k) => k + 1).filter((i) => i % 4 === 1);
    assert.equal(s.total, alice.length);
    const top = await rowsAt(s, 0, 4);
    assert.deepEqual(top, alice.slice(-5).reverse(), 'value descending');
    const bottom = await rowsAt(s, s.total - 3, s.total - 1);
    assert.deepEqual(bottom, [9, 5, 1]);
    // Jump to a row: its position in the view; -1 when the filter hides it.
    assert.deepEqual(await s.locate(9), { ok: true, value: s.total - 3 });
    assert.deepEqual(await s.locate(2), { ok: true, value: -1 });
  });

  test('the same spec does not make a new view; clearing the filters goes back to file order without one', async () => {
    const view = s.viewId;
    await s.apply();
    assert.equal(s.viewId, view);
    s.spec.clearFilters();
    s.spec.sort = [];
    await s.apply();
    assert.equal(s.viewId, undefined);
    assert.equal(s.total, ROWS);
    assert.deepEqual(await rowsAt(s, 0, 2), [1, 2, 3]);
  });

  test('filter to a value / exclude a value, group counts and value counts over the view', async () => {
    s.spec.addValue('user', 'bob', true);
    s.spec.addValue('user', 'SYSTEM', true);
    await s.apply();
    // The two malformed rows have no user (their text is in _raw): excluding values keeps them.
    assert.equal(s.total, 1250 + 1249 + 2);
    const g = await s.groups(['user']);
    assert.ok(g.ok);
    assert.deepEqual(g.value.groups.map((x) => [x.values[0], x.count]), [['alice', 1250], ['root', 1249], [null, 2]]);
    const v = await s.values('value', 3);
    assert.ok(v.ok);
    assert.equal(v.value.rows, 2501);
    assert.equal(v.value.nulls, 2);
    assert.equal(v.value.values.length, 3);
    s.spec.clearFilters();
    await s.apply();
  });

  test('tags: toggled rows show as tagged in their windows; tagged only; untag', async () => {
    await rowsAt(s, 0, 10);
    assert.deepEqual(await s.tag([3, 7], true), { ok: true, value: 2 });
    assert.equal(s.cache.row(2)!.tagged, true);
    assert.equal(s.cache.row(3)!.tagged, false);
    s.spec.taggedOnly = true;
    await s.apply();
    assert.equal(s.total, 2);
    assert.deepEqual(await rowsAt(s, 0, 1), [3, 7]);
    assert.deepEqual(await s.tag([3], false), { ok: true, value: 1 });
    await until(s, () => s.total === 1 && !s.applying, 'the tagged view made again');
    assert.deepEqual(await rowsAt(s, 0, 0), [7]);
    s.spec.taggedOnly = false;
    await s.apply();
  });

  test('SQL over `data`; a statement that is not a query is refused with a clear error', async () => {
    const r = await s.sql('SELECT user, count(*) AS n FROM data GROUP BY user ORDER BY user');
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.value.columns.map((c) => c.name), ['user', 'n']);
    assert.deepEqual(r.value.cells, [['SYSTEM', 1250], ['alice', 1250], ['bob', 1249], ['root', 1249], [null, 2]]);
    const bad = await s.sql('DROP TABLE data');
    assert.equal(bad.ok, false);
    if (!bad.ok) assert.match(bad.error.message, /only queries run here/);
    const typo = await s.sql('SELEC 1');
    assert.equal(typo.ok, false);
  });

  test('export the view: visible columns in display order, formulas neutralized; a download for the browser', async () => {
    s.spec.setFilter(s.columns.find((c) => c.name === 'id')!, '99..101');
    s.layout.setHidden(s.columns.findIndex((c) => c.name === '_raw'), true);
    s.layout.setHidden(s.columns.findIndex((c) => c.name === 'user'), true);
    s.layout.place(s.columns.findIndex((c) => c.name === 'note'), 0);
    await s.apply();
    const out = join(dir, 'out', 'events-view.csv');
    const r = await s.exportView({ format: 'csv', path: out });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(readFileSync(out, 'utf8'), "note,id,value\r\nnote 99,99,24.75\r\n'=cmd|calc,100,25\r\nnote 101,101,25.25\r\n");
    const next = await s.exportView({ format: 'csv', path: join(dir, 'evidence', 'x.csv') });
    assert.equal(next.ok, false, 'never next to the evidence');
    const d = await s.exportView({ format: 'jsonl', download: true, fileName: 'events-view.jsonl' });
    assert.ok(d.ok && d.value.download?.startsWith('/exports/'));
    s.spec.clearFilters();
    s.layout = new (s.layout.constructor as new () => typeof s.layout)();
    s.layout.update(s.columns);
    await s.apply();
  });
});

describe('closing', () => {
  test('opening another file closes the first (its windows are gone); a folder that does not exist fails clearly', async () => {
    const s = await opened();
    const first = s.info!.id;
    const other = join(dir, 'evidence', 'small.jsonl');
    writeFileSync(other, '{"a":1,"b":{"c":[1,2]}}\n{"a":2}\nnot json\n');
    assert.equal(await s.open({ kind: 'file', path: other }), true);
    await until(s, () => s.status === 'ready', 'ready');
    const gone = await sb.bridge.invoke('table:window', { id: first, offset: 0, limit: 1 });
    assert.equal(gone.ok, false);
    assert.deepEqual(s.columns.map((c) => [c.name, c.type]), [['a', 'number'], ['b', 'json'], ['_raw', 'text']]);
    assert.deepEqual((await rowsAt(s, 0, 2)).length, 3);
    assert.equal(s.cache.row(0)!.cells[1], '{"c":[1,2]}');
    await until(s, () => s.problemTotal === 1, 'the JSON problem');
    assert.equal(await s.open({ kind: 'folder', path: join(dir, 'nope') }), false);
    assert.equal(s.status, 'failed');
    assert.match(s.error!, /nope does not exist/);
    await s.dispose();
    assert.equal(s.status, 'idle');
  });

  test('two opens in a row: the last one asked for is the one shown, the other table is closed', async () => {
    const other = join(dir, 'evidence', 'second.csv');
    writeFileSync(other, 'x\n1\n2\n');
    const s = new WorkbenchSession(sb.bridge);
    try {
      const first = s.open({ kind: 'file', path: file });
      const second = s.open({ kind: 'file', path: other });
      assert.deepEqual(await Promise.all([first, second]), [false, true]);
      await until(s, () => s.status === 'ready', 'ready');
      assert.equal(s.rowCount, 2);
      assert.equal(s.info!.label, 'second.csv');
      // An open followed by a close: dropped, the view stays closed.
      const opening = s.open({ kind: 'file', path: file });
      await s.close();
      assert.equal(await opening, false);
      assert.equal(s.status, 'idle');
      assert.equal(s.info, null);
    } finally {
      await s.dispose();
    }
  });

  test('Cancel stops a load: the view says so and the table is gone (or it had already finished)', async () => {
    const big = join(dir, 'evidence', 'big.csv');
    const out = createWriteStream(big);
    out.write('n,s\n');
    for (let i = 0; i < 60; i++) out.write(Array.from({ length: 20_000 }, (_, k) => `${i * 20_000 + k},row ${k}\n`).join(''));
    await new Promise<void>((r) => out.end(() => r()));
    const s = new WorkbenchSession(sb.bridge);
    try {
      await s.open({ kind: 'file', path: big });
      s.cancel();
      await until(s, () => s.status !== 'loading', 'the end of the load');
      assert.ok(s.status === 'cancelled' || s.status === 'ready', s.status);
      if (s.status === 'cancelled') {
        assert.match(s.error!, /cancelled/);
        assert.equal(s.total, 0);
      }
    } finally {
      await s.dispose();
    }
  });
});
