// `vql monitor --log-format jsonl` as a real process with a clock artifact: Velociraptor's
// <day>.json and .json.tidx, --status rows today, a clean stop, kill -9 and restart, and the
// reader reading back what the collector wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTidx } from '../../main/collector/jsonl-file.ts';
import { readJsonlDay } from '../../main/collector/jsonl-read.ts';
import { ROOT as root, killAndRestartMonitor, monitorRowsWritten, monitorSetup, startMonitor, until } from './helpers.ts';

if (!existsSync(`${root}dist/cli.js`)) spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });

const CLOCK = `name: Test.Clock
type: CLIENT_EVENT
sources:
  - query: |
      SELECT Unix, UTC AS Tick, 'é "quoted"' AS Text, dict(a=1, b=[1, 2]) AS Nested FROM clock(ms=20)
`;

function setup(): { ds: string; defs: string } {
  return monitorSetup('vql-monitor-jsonl-', 'Test.Clock', CLOCK);
}

function start(ds: string, defs: string): ReturnType<typeof startMonitor> {
  return startMonitor(ds, defs, ['--log-format', 'jsonl']);
}

/** The day files of the artifact, each checked: complete lines, one exact record a row, _ts = the record's second. */
function checkDays(ds: string): { cid: string; files: string[]; rows: number } {
  const cid = readFileSync(join(ds, 'client_id'), 'utf8').trim();
  const dir = join(ds, 'clients', cid, 'monitoring', 'Test.Clock');
  const names = readdirSync(dir).sort();
  assert.ok(names.every((n) => /^\d{4}-\d\d-\d\d\.json(\.tidx)?$/.test(n)), names.join(' '));
  const files = names.filter((n) => n.endsWith('.json')).map((n) => join(dir, n));
  let rows = 0;
  for (const file of files) {
    const bytes = readFileSync(file);
    const text = bytes.toString('utf8');
    assert.ok(text.endsWith('\n'), `${file} ends with a complete line`);
    const lines = text.split('\n').slice(0, -1);
    const records = parseTidx(readFileSync(file + '.tidx'));
    assert.equal(records.length, lines.length, 'one record a row');
    let offset = 0;
    let last = 0n;
    lines.forEach((line, i) => {
      const o = JSON.parse(line);
      assert.deepEqual(Object.keys(o).slice(-3), ['ClientId', '_ts', '_Source']);
      assert.equal(o.ClientId, cid);
      assert.equal(o._Source, cid);
      assert.equal(o.Text, 'é "quoted"');
      assert.deepEqual(o.Nested, { a: 1, b: [1, 2] });
      assert.equal(records[i]!.offset, offset);
      assert.ok(records[i]!.ts >= last, 'times never go back');
      assert.equal(BigInt(o._ts), records[i]!.ts / 1_000_000_000n, '_ts is the second of the record time');
      assert.equal(file.slice(-15, -5), new Date(Number(records[i]!.ts / 1_000_000n)).toISOString().slice(0, 10), 'the day is the UTC day of the flush');
      last = records[i]!.ts;
      offset += Buffer.byteLength(line) + 1;
    });
    rows += lines.length;
  }
  return { cid, files, rows };
}

test('vql monitor --log-format jsonl writes Velociraptor day files; --status counts them; SIGTERM writes every row', { timeout: 60_000 }, async () => {
  const { ds, defs } = setup();
  const { child, stderr } = start(ds, defs);
  await until(() => monitorRowsWritten(ds) > 30, 30_000, 'rows written');
  const out = spawnSync(process.execPath, ['bin/vql.js', 'monitor', '--status', '--datastore', ds], { cwd: root, encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const shown = Number(/Test\.Clock\s+(?:running|paused)\s+(\d+)/.exec(out.stdout)?.[1]);
  assert.ok(shown > 0, out.stdout);
  child.kill('SIGTERM');
  assert.equal(await new Promise((r) => child.on('exit', r)), 0, stderr());
  assert.match(stderr(), /collector started .*JSONL day files/);
  // At stop the collector logs each query's rows written since start.
  const log = readFileSync(join(ds, 'logs', 'monitor.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const final = log.filter((e) => e.event === 'rows' && e.artifact === 'Test.Clock').at(-1)?.rowsWritten;
  const { files, rows } = checkDays(ds);
  assert.equal(rows, final, 'every row received was written');
  assert.ok(!readdirSync(join(ds, 'clients'), { recursive: true }).some((n) => String(n).endsWith('.csv')), 'no CSV file');
  // The reader gives them back, _ts in ms from the index.
  const back = (await Promise.all(files.map((f) => readJsonlDay(f)))).flat();
  assert.equal(back.length, rows);
  assert.ok(back.every((r) => typeof r.get('_ts') === 'number' && (r.get('_ts') as number) > 1e12));
  const after = spawnSync(process.execPath, ['bin/vql.js', 'monitor', '--status', '--datastore', ds], { cwd: root, encoding: 'utf8' });
  assert.match(after.stdout, new RegExp(`Test\\.Clock\\s+not running\\s+${rows}\\b`), after.stdout);
});

test('kill -9 of vql monitor --log-format jsonl, then restart: every line and record is whole, no fsynced row is lost', { timeout: 90_000 }, async () => {
  const { ds, defs } = setup();
  const fsynced = await killAndRestartMonitor(ds, defs, 50, ['--log-format', 'jsonl']);
  const { rows } = checkDays(ds);
  assert.ok(rows >= fsynced, `${rows} rows in the files, ${fsynced} were fsynced before the kill`);
});

test('an unknown --log-format is a usage error that names the formats', () => {
  const out = spawnSync(process.execPath, ['bin/vql.js', 'monitor', '--log-format', 'json', '--datastore', join(tmpdir(), 'vql-never-created')], { cwd: root, encoding: 'utf8' });
  assert.notEqual(out.status, 0);
  assert.match(out.stderr, /--log-format: unknown log format 'json': use csv or jsonl/);
  assert.equal(existsSync(join(tmpdir(), 'vql-never-created')), false, 'nothing is created');
});
