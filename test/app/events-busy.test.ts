// One writer per datastore, with real processes: the app meets a running `vql monitor` (a clear
// CollectorBusy error naming it; the log browser still works; events work once it stops), and a
// `vql monitor` started while the app collects refuses to start instead of repairing its files.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppService } from '../../main/app/service.ts';
import { AppCollector } from '../../main/app/collector-host.ts';
import { lockPath } from '../../main/collector/lock.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** `vql monitor` from the sources (not dist/, which may be older than them). */
function monitor(datastore: string): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const code = "const { main } = await import('./main/cli/vql.ts'); process.exitCode = await main(process.argv.slice(1));";
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, 'monitor', '--datastore', datastore], { cwd: root });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { child, output: () => out, exit };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function tempDatastore(): { dir: string; datastore: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vql-app-busy-'));
  dirs.push(dir);
  const datastore = join(dir, 'ds');
  mkdirSync(datastore);
  writeFileSync(join(datastore, 'events.yaml'), 'Events:\n  artifacts:\n  - Generic.Client.Stats\n  version: 1\n  parameters:\n    Generic.Client.Stats:\n      Frequency: 1\n');
  return { dir, datastore };
}

test('the app meets a running vql monitor: CollectorBusy names it, logs can be browsed, events work once it stops', { timeout: 60_000 }, async () => {
  const { dir, datastore } = tempDatastore();
  const m = monitor(datastore);
  try {
    await until(() => existsSync(lockPath(datastore)) && /collector started/.test(m.output()), 20_000, 'vql monitor to start');
    const collector = await AppCollector.open({ datastore, userArtifacts: join(dir, 'artifacts') });
    try {
      assert.match(collector.busy ?? '', new RegExp(`vql monitor \\(pid ${m.child.pid}`));
      const s = new AppService({ userArtifacts: join(dir, 'artifacts'), collector, push: () => {} });
      const r = await s.invoke('events:start', { artifact: 'Generic.Client.Stats' });
      assert.ok(!r.ok && r.error.code === 'CollectorBusy', JSON.stringify(r));
      assert.match(r.error.message, /Only one collector may write a datastore at a time/);
      const clients = await s.invoke('store:clients');
      assert.ok(clients.ok, 'the log browser still reads the datastore');

      m.child.kill('SIGTERM');
      assert.equal(await m.exit, 0);
      const st = await s.invoke('events:status');
      assert.ok(st.ok && st.value[0]?.artifact === 'Generic.Client.Stats', JSON.stringify(st));
      assert.equal(collector.busy, null);
      s.cancelAll();
    } finally {
      await collector.close();
    }
    assert.ok(!existsSync(lockPath(datastore)), 'the lock is released');
  } finally {
    m.child.kill('SIGKILL');
  }
});

test('vql monitor refuses a datastore the app collects into, naming the app', { timeout: 60_000 }, async () => {
  const { dir, datastore } = tempDatastore();
  const collector = await AppCollector.open({ datastore, userArtifacts: join(dir, 'artifacts'), owner: 'the test app' });
  try {
    assert.equal(collector.busy, null);
    const m = monitor(datastore);
    assert.equal(await m.exit, 1);
    assert.match(m.output(), new RegExp(`vql monitor: error: the datastore .* is being written by the test app \\(pid ${process.pid}`));
  } finally {
    await collector.close();
  }
});

test('a lock left by a process that is gone is taken over', { timeout: 30_000 }, async () => {
  const { dir, datastore } = tempDatastore();
  const gone = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => gone.on('exit', r));
  writeFileSync(lockPath(datastore), JSON.stringify({ pid: gone.pid, host: (await import('node:os')).hostname(), owner: 'vql monitor', started: '2024-01-01T00:00:00Z' }));
  const collector = await AppCollector.open({ datastore, userArtifacts: join(dir, 'artifacts') });
  try {
    assert.equal(collector.busy, null);
  } finally {
    await collector.close();
  }
});

/** `vql serve` from the sources; resolves with its URL. */
async function serve(datastore: string): Promise<{ child: ChildProcess; url: URL; exit: Promise<number | null> }> {
  const code = "const { main } = await import('./main/cli/vql.ts'); process.exitCode = await main(process.argv.slice(1));";
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, 'serve', '--datastore', datastore], { cwd: root });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  const url = await new Promise<URL>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.exec(out);
      if (m) resolve(new URL(m[0]));
    });
    void exit.then((c) => reject(new Error(`vql serve exited with ${c}: ${out}`)));
  });
  return { child, url, exit };
}

/** A WebSocket client of the web host's JSON protocol. */
async function client(url: URL) {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(`ws://${url.host}/ws?token=${url.searchParams.get('token')}`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const pushes: Array<{ channel: string; args: unknown[] }> = [];
  const replies = new Map<number, (r: unknown) => void>();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if (msg.type === 'reply') replies.get(msg.id)?.(msg.result);
    else if (msg.type === 'push') pushes.push(msg);
  });
  let next = 1;
  const invoke = (channel: string, ...args: unknown[]) => new Promise<{ ok: boolean; value?: unknown; error?: { code: string } }>((resolve) => {
    const id = next++;
    replies.set(id, resolve as (r: unknown) => void);
    ws.send(JSON.stringify({ type: 'invoke', id, channel, args }));
  });
  return { ws, pushes, invoke };
}

test('vql serve runs one collector for all its connections, holding the datastore as `vql serve`', { timeout: 60_000 }, async () => {
  const { datastore } = tempDatastore();
  writeFileSync(join(datastore, 'events.yaml'), 'Events:\n  artifacts: []\n  version: 1\n');
  const s = await serve(datastore);
  try {
    assert.match(readFileSync(lockPath(datastore), 'utf8'), /"owner":"vql serve"/);
    const a = await client(s.url);
    const b = await client(s.url);
    assert.deepEqual(await b.invoke('events:status'), { ok: true, value: [] });
    assert.ok((await b.invoke('events:subscribe', 'Generic.Client.Stats')).ok);
    const started = await a.invoke('events:start', { artifact: 'Generic.Client.Stats', parameters: { Frequency: '1' } });
    assert.ok(started.ok, JSON.stringify(started));
    await until(() => b.pushes.some((p) => p.channel === 'events:rows'), 30_000, 'b to get the rows a started');
    a.ws.close();
    const st = await b.invoke('events:status');
    assert.equal((st.value as Array<{ state: string }>)[0]?.state, 'running', JSON.stringify(st));
    b.ws.close();
    s.child.kill('SIGTERM');
    assert.equal(await s.exit, 0);
    assert.ok(!existsSync(lockPath(datastore)), 'the lock is released at exit');
    assert.match(readFileSync(join(datastore, 'events.yaml'), 'utf8'), /Generic\.Client\.Stats/, 'the configuration stays for the next start');
  } finally {
    s.child.kill('SIGKILL');
  }
});
