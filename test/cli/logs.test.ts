// `vql logs list|show` (main/cli/logs.ts) run as the real command on datastores built in
// Velociraptor's layouts (test/logs/fixtures.ts): clients with hostnames, artifacts and days
// with rows and sizes; rows of a range merged in time order in jsonl, json and csv; bad lines
// reported on stderr with file and line while the rest prints; usage errors with did-you-mean.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { at, jsonlDayPath, write2018Day, write2019Day, writeJsonlDay, writeSnapshot } from '../logs/fixtures.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vql.js');

if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32' });
  if (b.status !== 0) throw new Error(`npm run build failed:\n${b.stdout}\n${b.stderr}`);
}

const TMP = mkdtempSync(join(tmpdir(), 'vql-logs-cli-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
const C = 'C.4f5e52adf0a337a9';
const D = 'C.11a3013cca8f826e';
const DS = join(TMP, 'datastore');

function vql(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  writeSnapshot(DS, { [C]: 'desk-01' });
  write2018Day(DS, C, 'Generic.Client.Stats', '2018-12-10', ['Timestamp', 'CPU'], [{ Timestamp: 1544363561.8, CPU: 14.91 }]);
  write2019Day(DS, C, 'Generic.Client.Stats', '2019-08-12', ['_ts', 'CPU'], [{ _ts: at('2019-08-12', 1), CPU: 7 }]);
  for (const day of ['2021-12-06', '2021-12-07']) {
    writeJsonlDay(jsonlDayPath(DS, C, 'Generic.Client.Stats', day), C, [0, 1, 2].map((h) => ({ ts: at(day, h * 3600), rows: [{ CPU: h, Day: day }] })));
  }
  // A second part of 2021-12-07 in CSV (a collector that switched format): merged by _ts.
  write2019Day(DS, C, 'Generic.Client.Stats', '2021-12-07', ['_ts', 'CPU', 'Day'], [{ _ts: at('2021-12-07', 1800), CPU: 0.5, Day: 'csv' }]);
  writeJsonlDay(jsonlDayPath(DS, D, 'Windows.Events.DNSQueries', '2021-12-07'), D, [{ ts: at('2021-12-07', 5), rows: [{ Q: 'a.example' }] }]);
});

describe('vql logs list', () => {
  test('clients with hostnames, artifacts with days, first and last day, rows and size', () => {
    const r = vql('logs', 'list', '--datastore', DS);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^datastore: ${DS.replace(/[.]/g, '\\.')}\n`));
    assert.match(r.stdout, new RegExp(`client ${C.replace('.', '\\.')} \\(desk-01\\)\n  ARTIFACT +DAYS +FIRST +LAST +ROWS +SIZE\n  Generic\\.Client\\.Stats +4 +2018-12-10 +2021-12-07 +9 +\\d+ B\n`));
    assert.match(r.stdout, new RegExp(`client ${D.replace('.', '\\.')}\n  ARTIFACT.*\n  Windows\\.Events\\.DNSQueries +1 +2021-12-07 +2021-12-07 +1 `));
  });

  test('--client limits it; an unknown client says which there are', () => {
    assert.doesNotMatch(vql('logs', 'list', '--datastore', DS, '--client', D).stdout, /desk-01/);
    const r = vql('logs', 'list', '--datastore', DS, '--client', 'C.4f5e52adf0a337a8');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no client C\.4f5e52adf0a337a8 with monitoring logs in .*: did you mean C\.4f5e52adf0a337a9\?/);
  });

  test('a folder that is not a datastore says what is expected', () => {
    const r = vql('logs', 'list', '--datastore', join(DS, 'client_info'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /is not a monitoring datastore: expected a folder holding clients\/<client id>\/monitoring/);
  });
});

describe('vql logs show', () => {
  test('jsonl: days of every layout in order, a day\'s CSV and JSONL files merged by _ts', () => {
    const r = vql('logs', 'show', 'Generic.Client.Stats', '--from', '2018-12-10', '--to', '2021-12-07', '--client', C, '--datastore', DS);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((x) => x.CPU), [14.91, 7, 0, 1, 2, 0, 0.5, 1, 2]);
    assert.deepEqual(rows.map((x) => x.Day ?? null), [null, null, '2021-12-06', '2021-12-06', '2021-12-06', '2021-12-07', 'csv', '2021-12-07', '2021-12-07']);
  });

  test('json is one array; csv has the first row\'s header; a time range', () => {
    const j = vql('logs', 'show', 'Generic.Client.Stats', '--from', '2021-12-07T01:00:00Z', '--to', '2021-12-07T03:00:00Z', '--client', C, '--datastore', DS, '--format', 'json');
    assert.equal(j.status, 0, j.stderr);
    assert.deepEqual(JSON.parse(j.stdout).map((x: { CPU: number }) => x.CPU), [1, 2]);
    const c = vql('logs', 'show', 'Generic.Client.Stats', '--from', '2021-12-06', '--to', '2021-12-06', '--client', C, '--datastore', DS, '--format', 'csv');
    assert.equal(c.status, 0, c.stderr);
    assert.deepEqual(c.stdout.trim().split('\n'), [
      'CPU,Day,ClientId,_ts,_Source',
      `0,2021-12-06,${C},${at('2021-12-06', 0)},${C}`,
      `1,2021-12-06,${C},${at('2021-12-06', 3600)},${C}`,
      `2,2021-12-06,${C},${at('2021-12-06', 7200)},${C}`,
    ]);
  });

  test('one client needs no --client; several need one', () => {
    const r = vql('logs', 'show', 'Windows.Events.DNSQueries', '--from', '2021-12-07', '--datastore', join(DS, 'clients', D));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).Q, 'a.example');
    const s = vql('logs', 'show', 'Windows.Events.DNSQueries', '--from', '2021-12-07', '--datastore', DS);
    assert.equal(s.status, 1);
    assert.match(s.stderr, /the datastore has 2 clients: choose one with --client/);
  });

  test('bad lines go to stderr with file and line; the other rows print', () => {
    const path = jsonlDayPath(DS, D, 'Windows.Events.DNSQueries', '2021-12-07');
    appendFileSync(path, `not json\n{"Q":"b.example","_ts":${at('2021-12-07', 9)}}\n{"Q":"c`);
    const r = vql('logs', 'show', 'Windows.Events.DNSQueries', '--from', '2021-12-07', '--to', '2021-12-07', '--client', D, '--datastore', DS);
    assert.equal(r.status, 0);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => JSON.parse(l).Q), ['a.example', 'b.example']);
    assert.deepEqual(r.stderr.trim().split('\n'), [
      `WARNING: ${path}: line 2: not JSON (Unexpected token 'o', "not json" is not valid JSON); the line is left out, the rest is read`,
      `WARNING: ${path}: line 4: cut short (no line end; the file may still be being written); the line is left out, the rest is read`,
    ]);
  });

  test('usage errors: an unknown artifact, command or flag with did-you-mean; a bad format or range', () => {
    const a = vql('logs', 'show', 'Generic.Client.Stat', '--from', '2021-12-06', '--client', C, '--datastore', DS);
    assert.equal(a.status, 1);
    assert.match(a.stderr, /no artifact Generic\.Client\.Stat in the logs of C\.4f5e52adf0a337a9: did you mean Generic\.Client\.Stats\?/);
    assert.match(vql('logs', 'shwo').stderr, /unknown logs command 'shwo': did you mean show\?\nsee vql logs --help/);
    assert.match(vql('logs', 'show', 'X', '--form', '2021-12-06').stderr, /unknown flag --form: did you mean (--format or )?--from\?/);
    assert.match(vql('logs', 'show', 'X', '--from', '2021-12-06', '--format', 'text').stderr, /--format must be one of csv, jsonl, json/);
    assert.match(vql('logs', 'show', 'X', '--from', '2021-12-07', '--to', '2021-12-06', '--datastore', DS).stderr, /ends before it starts/);
    assert.match(vql('log', 'list').stderr, /unknown command 'log': did you mean logs\?/);
    assert.match(vql('logs', '--help').stdout, /logs show ARTIFACT --from DAY --to DAY \[--client ID\] \[--format csv\|jsonl\|json\]/);
  });
});
