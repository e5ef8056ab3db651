// `vql monitor` as a real process: clean shutdown, kill -9 and restart, --status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDayFile } from '../../main/collector/csv-file.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
if (!existsSync(`${root}dist/cli.js`)) spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });

const FLOOD = `name: Test.Flood
type: CLIENT_EVENT
resources:
  cpu_limit: 100
sources:
  - query: |
      SELECT * FROM foreach(row={ SELECT * FROM clock(ms=5) },
        query={ SELECT _value AS N, 'a "quoted", multi
      line' AS Text FROM range(end=2000) })
`;

function setup(): { ds: string; defs: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vql-monitor-cli-'));
  const ds = join(dir, 'ds');
  const defs = join(dir, 'defs');
  mkdirSync(ds);
  mkdirSync(defs);
  writeFileSync(join(defs, 'flood.yaml'), FLOOD);
  writeFileSync(join(ds, 'events.yaml'), 'Events:\n  artifacts:\n  - Test.Flood\n  version: 1\n');
  return { ds, defs };
}

function start(ds: string, defs: string): { child: ChildProcess; stderr: () => string } {
  const child = spawn(process.execPath, ['bin/vql.js', 'monitor', '--datastore', ds, '--definitions', defs, '--max_wait', '0.2'], { cwd: root });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return { child, stderr: () => err };
}

function status(ds: string): { queries: Array<{ artifact: string; rowsWritten: number }> } | null {
  try {
    return JSON.parse(readFileSync(join(ds, 'monitor-status.json'), 'utf8'));
  } catch {
    return null; // not written yet, or caught mid-write
  }
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function countRows(ds: string): Promise<number> {
  let n = 0;
  for (const e of readdirSync(join(ds, 'clients'), { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.csv')) n += (await readDayFile(join(e.parentPath, e.name))).length;
  }
  return n;
}

test('SIGTERM stops cleanly: exit 0, every received row written, stop logged', { timeout: 60_000 }, async () => {
  const { ds, defs } = setup();
  const { child, stderr } = start(ds, defs);
  await until(() => (status(ds)?.queries[0]?.rowsWritten ?? 0) > 10_000, 30_000, 'rows written');
  child.kill('SIGTERM');
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 0, stderr());
  const final = status(ds)!;
  const rows = await countRows(ds);
  assert.equal(rows, final.queries.length ? final.queries[0]!.rowsWritten : rows);
  const log = readFileSync(join(ds, 'logs', 'monitor.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(log.at(-1).event, 'stop');
  assert.ok(log.some((e) => e.event === 'rows' && e.artifact === 'Test.Flood'));
});

test('kill -9 while writing at full speed, then restart: every file parses, no fsynced row is lost', { timeout: 90_000 }, async () => {
  const { ds, defs } = setup();
  const first = start(ds, defs);
  await until(() => (status(ds)?.queries[0]?.rowsWritten ?? 0) > 20_000, 30_000, 'rows written');
  const fsynced = status(ds)!.queries[0]!.rowsWritten;
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.on('exit', r));
  const second = start(ds, defs);
  // The restart repairs torn lines before it writes anything new.
  await until(() => second.stderr().includes('collector started'), 20_000, 'the restart');
  second.child.kill('SIGTERM');
  assert.equal(await new Promise((r) => second.child.on('exit', r)), 0, second.stderr());
  const rows = await countRows(ds); // readDayFile throws on a malformed file
  assert.ok(rows >= fsynced, `${rows} rows in the files, ${fsynced} were fsynced before the kill`);
  for (const e of readdirSync(join(ds, 'clients'), { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.csv')) assert.ok(readFileSync(join(e.parentPath, e.name), 'utf8').endsWith('\n'), `${e.name} ends with a complete line`);
  }
});

test('vql monitor --status shows each artifact, its state and rows today', { timeout: 60_000 }, async () => {
  const { ds, defs } = setup();
  const { child } = start(ds, defs);
  await until(() => (status(ds)?.queries[0]?.rowsWritten ?? 0) > 100, 30_000, 'rows written');
  const out = spawnSync(process.execPath, ['bin/vql.js', 'monitor', '--status', '--datastore', ds], { cwd: root, encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /collector: running \(pid \d+/);
  assert.match(out.stdout, /client id: C\.[0-9a-f]{16}/);
  assert.match(out.stdout, /Test\.Flood\s+(running|paused)\s+\d+/);
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  const after = spawnSync(process.execPath, ['bin/vql.js', 'monitor', '--status', '--datastore', ds], { cwd: root, encoding: 'utf8' });
  assert.match(after.stdout, /collector: not running/);
  assert.match(after.stdout, /Test\.Flood\s+not running\s+[1-9]\d*/);
});
