// `vql monitor` as a real process: clean shutdown, kill -9 and restart, --status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDayFile } from '../../main/collector/csv-file.ts';
import { ROOT as root, killAndRestartMonitor, monitorSetup, startMonitor as start, until } from './helpers.ts';

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
  return monitorSetup('vql-monitor-cli-', 'Test.Flood', FLOOD);
}

function status(ds: string): { queries: Array<{ artifact: string; rowsWritten: number }> } | null {
  try {
    return JSON.parse(readFileSync(join(ds, 'monitor-status.json'), 'utf8'));
  } catch {
    return null; // not written yet, or caught mid-write
  }
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
  const fsynced = await killAndRestartMonitor(ds, defs, 20_000);
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

test('a first start with a broken events file exits 1 with file:line:column instead of idling', { timeout: 60_000 }, async () => {
  const { ds, defs } = setup();
  // `version 1` lacks its ':'; the parser notices on the next line.
  writeFileSync(join(ds, 'events.yaml'), 'Events:\n  artifacts:\n  - Test.Flood\n  version 1\n  parameters:\n    Test.Flood: {}\n');
  const { child, stderr } = start(ds, defs);
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 1, stderr());
  assert.match(stderr(), /events\.yaml:\d+:\d+: error: YAML: .*the problem may start on line 4: 'version' looks like a key without ':'/);
  assert.match(stderr(), /vql monitor: error: the events file .*events\.yaml cannot be used: fix the problems above/);
  assert.doesNotMatch(stderr(), /previous configuration keeps running/);
  // Only unknown artifacts: nothing could run, so it exits too (with did-you-mean).
  writeFileSync(join(ds, 'events.yaml'), 'Events:\n  artifacts:\n  - Test.Flod\n  version: 1\n');
  const again = start(ds, defs);
  assert.equal(await new Promise((r) => again.child.on('exit', r)), 1, again.stderr());
  assert.match(again.stderr(), /events\.yaml:3:5: error: unknown artifact Test\.Flod \(did you mean Test\.Flood\?\)/);
});
