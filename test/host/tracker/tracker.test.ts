// The process tracker with real processes this test spawns and kills: a chain parent -> child
// -> grandchild, its call chain, tree and children, an exit noticed, a new start reported,
// and the dummy tracker before any process_tracker(). Waits for the tracker to report (polling
// it, with a generous bound), never for fixed times.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { VDict, collect, createRegistry, run, toJSON, type Registry } from '../../../main/vql/index.ts';
import { registerSystem } from '../../../main/host/system/index.ts';
import { registerFiles } from '../../../main/host/files/index.ts';
import { registerTracker } from '../../../main/host/tracker/index.ts';
import { globalTracker } from '../../../main/host/tracker/global.ts';
import { ProcessTracker } from '../../../main/host/tracker/tracker.ts';

const linux = process.platform === 'linux';
const WAIT_MS = 30_000;

function registry(): Registry {
  const r = createRegistry();
  registerSystem(r, {});
  registerFiles(r, {});
  registerTracker(r, {});
  return r;
}

async function q(text: string, vars: Record<string, unknown> = {}, signal?: AbortSignal): Promise<{ rows: Array<Record<string, any>>; logs: string[] }> {
  const logs: string[] = [];
  const rows = await collect(text, { registry: registry(), vars, signal, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)), logs };
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const end = Date.now() + WAIT_MS;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Pids whose parent is `ppid`, from /proc. */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid) out.push(Number(n));
    } catch {
      // Gone.
    }
  }
  return out;
}

const spawned: ChildProcess[] = [];
after(() => {
  for (const c of spawned) c.kill('SIGKILL');
});

/** parent (sh) -> child (sh) -> grandchild (sleep): `; :` keeps the child shell from exec'ing sleep. */
async function chain(): Promise<{ parent: number; child: number; grandchild: number; proc: ChildProcess }> {
  const proc = spawn('sh', ['-c', 'sh -c "sleep 300; :" & wait'], { stdio: 'ignore' });
  spawned.push(proc);
  const parent = proc.pid!;
  const child = await until('the child shell', async () => childrenOf(parent)[0]);
  const grandchild = await until('the grandchild sleep', async () => childrenOf(child)[0]);
  return { parent, child, grandchild, proc };
}

test('the dummy tracker (no process_tracker yet): bare pids, pslist data, call chains, no children, one sync update', { skip: !linux && 'Linux /proc' }, async () => {
  assert.equal(globalTracker().real, false);
  const { rows } = await q(`SELECT process_tracker_get(id=getpid()) AS E,
      process_tracker_callchain(id=getpid()).Data.Pid AS Chain,
      process_tracker_children(id=process_tracker_get(id=getpid()).ParentId) AS Kids
    FROM scope()`);
  const e = rows[0]!.E;
  assert.equal(e.Id, String(process.pid));
  assert.equal(e.ParentId, String(process.ppid));
  assert.equal(e.Data.Pid, process.pid);
  assert.equal(e.Data.Name, 'node');
  assert.equal(e.EndTime, '0001-01-01T00:00:00Z');
  assert.deepEqual(e.Children, []);
  assert.deepEqual(rows[0]!.Chain.slice(-2), [process.ppid, process.pid]);
  assert.deepEqual(rows[0]!.Kids, []);
  const ps = await q('SELECT Pid, Ppid, Name, MemoryInfo.rss AS RSS, StartTime, EndTime FROM process_tracker_pslist() WHERE Pid = getpid()');
  assert.equal(ps.rows.length, 1);
  assert.ok(ps.rows[0]!.RSS > 0);
  const updates = await q('SELECT UpdateType, Data FROM process_tracker_updates()');
  assert.equal(updates.rows.length, 1, 'the dummy sends its first sync row and ends');
  assert.equal(updates.rows[0]!.UpdateType, 'sync');
  assert.ok(String(process.pid) in updates.rows[0]!.Data);
});

test('process_tracker(): a chain parent -> child -> grandchild; call chain, tree, children; a kill is noticed and the process stays answerable', { skip: !linux && 'Linux /proc' }, async () => {
  const { parent, child, grandchild, proc } = await chain();
  const life = new AbortController();
  const installed = await q('LET T <= process_tracker(sync_period=100) SELECT T.Size > 0 AS Ok FROM scope()', {}, life.signal);
  assert.deepEqual(installed.rows, [{ Ok: true }]);
  assert.equal(globalTracker().real, true);
  try {
    // Updates from now on: a reader in the background.
    const updates: Array<Record<string, any>> = [];
    const reader = (async () => {
      for await (const row of run('SELECT Id, ParentId, UpdateType, EndTime, Data.Name AS Name FROM process_tracker_updates()', { registry: registry(), signal: life.signal })) {
        updates.push(JSON.parse(toJSON(row)));
      }
    })();

    const g = await until('the grandchild in the tracker', async () => (await q(`SELECT process_tracker_get(id=${grandchild}) AS E FROM scope()`)).rows[0]!.E);
    assert.match(g.Id, new RegExp(`^${grandchild}-\\d+$`));
    assert.equal(g.Data.Pid, g.Id, 'Data.Pid is the tracker id');
    assert.equal(g.Data.Name, 'sleep');
    assert.match(g.ParentId, new RegExp(`^${child}-\\d+$`));

    const { rows } = await q(`SELECT process_tracker_callchain(id=${grandchild}) AS Chain, process_tracker_tree(id=${parent}) AS Tree,
        process_tracker_children(id=${parent}) AS Kids FROM scope()`);
    const chainRows = rows[0]!.Chain as Array<Record<string, any>>;
    const ids = chainRows.map((e) => Number(e.Id.split('-')[0]));
    assert.deepEqual(ids.slice(-4), [process.pid, parent, child, grandchild], 'root first, the process last');
    assert.deepEqual(chainRows.slice(-3).map((e) => e.Data.Name), ['sh', 'sh', 'sleep']);
    const tree = rows[0]!.Tree;
    assert.equal(tree.name, 'sh');
    assert.equal(tree.children.length, 1);
    assert.equal(tree.children[0].id.split('-')[0], String(child));
    assert.equal(tree.children[0].children[0].name, 'sleep');
    assert.equal(tree.children[0].children[0].id, g.Id);
    assert.deepEqual(rows[0]!.Kids.map((k: any) => k.Id.split('-')[0]), [String(child)]);

    // A new process after the first snapshot is a start update.
    const late = spawn('sleep', ['300'], { stdio: 'ignore' });
    spawned.push(late);
    await until('a start update for the new process', async () => updates.some((u) => u.UpdateType === 'start' && u.Id.startsWith(`${late.pid}-`)));
    late.kill('SIGKILL');

    // Kill the chain: the exits are noticed, and the entries stay answerable with an EndTime.
    process.kill(grandchild, 'SIGKILL');
    await until('an exit update for the grandchild', async () => updates.some((u) => u.UpdateType === 'exit' && u.Id === g.Id));
    const ended = (await q(`SELECT process_tracker_get(id='${g.Id}') AS E FROM scope()`)).rows[0]!.E;
    assert.notEqual(ended.EndTime, '0001-01-01T00:00:00Z');
    assert.ok(Date.parse(ended.EndTime) >= Date.parse(ended.StartTime));
    proc.kill('SIGKILL');
    await until('the parent ended', async () => (await q(`SELECT process_tracker_get(id=${parent}).EndTime AS T FROM scope()`)).rows[0]!.T !== '0001-01-01T00:00:00Z');
    const gone = await q(`SELECT Pid, Name, EndTime FROM process_tracker_pslist() WHERE Pid = '${g.Id}'`);
    assert.equal(gone.rows.length, 1, 'an ended process is still listed');
    assert.equal(gone.rows[0]!.Name, 'sleep');
    const chainAfter = (await q(`SELECT process_tracker_callchain(id='${g.Id}').Data.Name AS N FROM scope()`)).rows[0]!.N;
    assert.deepEqual(chainAfter.slice(-3), ['sh', 'sh', 'sleep'], 'the call chain of an ended process');
    assert.ok(updates[0]!.UpdateType === 'sync', 'the first update is a sync');
    life.abort();
    await reader;
  } finally {
    life.abort();
  }
  assert.equal(globalTracker().real, false, 'cancelling the installing query restores the dummy');
});

test('process_tracker(sync_query=, update_query=, enrichments=): rows in, Data enriched, update events applied, bad rows refused', async () => {
  const life = new AbortController();
  const { rows, logs } = await q(`
    LET Sync = SELECT * FROM foreach(row=[
        dict(id=10, parent_id=1, start_time=1600000000, data=dict(Name='init-ish')),
        dict(id=11, parent_id=10, start_time=1600000100, data=dict(Name='shell')),
        dict(id=12, parent_id=11, start_time=1600000200, data=dict(Name='tool'))])
    LET Updates = SELECT * FROM foreach(row=[
        dict(id=13, parent_id=11, update_type='start', start_time=1600000300, data=dict(Name='late')),
        dict(id=12, update_type='exit', end_time=1600000400)])
    LET T <= process_tracker(sync_query=Sync, update_query=Updates, sync_period=60000,
                             enrichments=['x => dict(Upper=upcase(string=x.Data.Name))'])
    SELECT process_tracker_get(id=12) AS G, process_tracker_callchain(id=12).Data.Name AS Chain,
           process_tracker_tree(id=10).children[0].data.Upper AS TreeUpper
    FROM scope()`, {}, life.signal);
  try {
    assert.deepEqual(logs.filter((l) => l.startsWith('error')), []);
    const g = rows[0]!.G;
    assert.equal(g.Id, '12-1600000200');
    assert.equal(g.ParentId, '11-1600000100');
    assert.equal(g.Data.Upper, 'TOOL', 'the enrichment is merged into Data');
    assert.deepEqual(g.Data.Pid, '12-1600000200');
    assert.deepEqual(rows[0]!.Chain, ['init-ish', 'shell', 'tool']);
    assert.equal(rows[0]!.TreeUpper, 'SHELL');
    // The update query runs in the background: its start and exit rows arrive.
    const late = await until('the start update applied', async () => (await q(`SELECT process_tracker_get(id='13-1600000300') AS E FROM scope()`)).rows[0]!.E);
    assert.equal(late.ParentId, '11-1600000100');
    await until('the exit update applied', async () => (await q(`SELECT process_tracker_get(id=12).EndTime AS T FROM scope()`)).rows[0]!.T === '2020-09-13T12:33:20Z');
    const kids = (await q(`SELECT process_tracker_children(id=11).Id AS K FROM scope()`)).rows[0]!.K;
    assert.deepEqual([...kids].sort(), ['12-1600000200', '13-1600000300']);
  } finally {
    life.abort();
  }
  const bad = await q(`LET Bad = SELECT * FROM foreach(row=[dict(pid=1)])
    SELECT process_tracker(sync_query=Bad) AS T FROM scope()`);
  assert.deepEqual(bad.rows, [{ T: false }]);
  assert.ok(bad.logs.some((l) => /^error: process_tracker: argument sync_query: SyncQuery does not return correct rows/.test(l)), bad.logs.join('\n'));
  assert.equal(globalTracker().real, false);
});

const row = (id: number, ppid: number | null, start: number, name = `p${id}`) =>
  ({ id: String(id), parentId: ppid === null ? null : String(ppid), startMs: start * 1000, endMs: null, data: new VDict([['Name', name]]) });

test('ProcessTracker model: pid links, a reused pid is not taken for the parent, exits from snapshots, LRU size and expiry', () => {
  let now = 1_000_000;
  const t = new ProcessTracker({ maxSize: 100, maxExpiry: 60, now: () => now });
  t.sync([row(1, 0, 100), row(50, 1, 200), row(51, 50, 300)]);
  assert.equal(t.lookup('51')!.parentId, '50-200');
  assert.equal(t.lookup('1')!.parentId, '0-?');
  // 50 exits; its pid is reused by a process younger than 51.
  now += 1000;
  t.sync([row(1, 0, 100), row(51, 50, 300), row(50, 1, 400, 'reused')]);
  assert.equal(t.lookup('50-200')!.endMs, 1_000_000, 'EndTime: when it was last seen');
  assert.equal(t.lookup('50')!.id, '50-400', 'the bare pid links to the newest');
  assert.equal(t.lookup('51')!.parentId, '50-200', 'the old parent is kept');
  const orphan = new ProcessTracker({ now: () => now });
  orphan.sync([row(60, 1, 100), row(61, 60, 50)]);
  assert.equal(orphan.lookup('61')!.parentId, '60-?', 'a parent younger than its child is a reused pid');
  // LRU: entries and links count; the least recently used go first.
  const small = new ProcessTracker({ maxSize: 4, now: () => now });
  small.sync([row(1, 0, 1), row(2, 1, 2), row(3, 1, 3)]);
  assert.equal(small.size, 4);
  assert.equal(small.lookup('1-1'), null);
  // Expiry: unused for longer than max_expiry seconds.
  now += 61_000;
  assert.equal(t.lookup('51-300'), null);
});
