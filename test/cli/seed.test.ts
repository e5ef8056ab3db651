// The seed, verbatim (the 2018 blog's query): a batch a second with Timestamp (float
// seconds), CPU (cumulative CPU seconds of the vql process) and RSS (bytes), as the OS reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
if (!existsSync(`${root}dist/cli.js`)) spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });

const SEED =
  'SELECT * from foreach(row={SELECT UnixNano FROM clock(period=1)}, query={SELECT UnixNano / 1000000000 as Timestamp, Times.user + Times.system as CPU, MemoryInfo.RSS as RSS FROM pslist(pid=getpid())})';

test('the seed query prints a batch per second that agrees with the OS', { timeout: 30_000, skip: process.platform !== 'linux' && 'reads /proc to compare' }, async () => {
  const child = spawn(process.execPath, ['bin/vql.js', 'query', SEED, '--max_wait', '1', '--format', 'json'], { cwd: root });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const osView: Array<{ rss: number; cpu: number }> = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no two batches in 15 s; got: ${out}`)), 15_000);
    child.stdout.on('data', (d) => {
      out += d;
      // What the OS says about the vql process right now (RSS pages, utime + stime ticks).
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      osView.push({ rss: Number(stat[21]) * 4096, cpu: (Number(stat[11]) + Number(stat[12])) / 100 });
      if (out.split('][').length >= 2 && out.trimEnd().endsWith(']')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.kill('SIGINT');
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 0);
  assert.equal(err, '');
  const batches = out.split('][').map((s, i, a) => JSON.parse((i > 0 ? '[' : '') + s + (i < a.length - 1 ? ']' : '')) as Array<Record<string, number>>);
  assert.ok(batches.length >= 2);
  for (const [i, b] of batches.entries()) {
    assert.equal(b.length, 1, 'one row per tick, one batch per second');
    const row = b[0]!;
    assert.deepEqual(Object.keys(row), ['Timestamp', 'CPU', 'RSS']);
    assert.ok(!Number.isInteger(row.Timestamp) && Math.abs(row.Timestamp! - Date.now() / 1000) < 30, `Timestamp ${row.Timestamp}`);
    const os = osView[Math.min(i, osView.length - 1)]!;
    assert.ok(Math.abs(row.RSS! - os.rss) < 0.25 * os.rss, `RSS ${row.RSS} vs OS ${os.rss}`);
    assert.ok(Math.abs(row.CPU! - os.cpu) < 0.2, `CPU ${row.CPU} vs OS ${os.cpu}`);
  }
  assert.ok(batches[1]![0]!.Timestamp! - batches[0]![0]!.Timestamp! > 0.8, 'a second apart');
});
