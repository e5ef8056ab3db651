// info() (plugin and function) and environ() against this machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { VTime } from '../../../main/vql/index.ts';
import { parseOsRelease } from '../../../main/host/system/hostinfo.ts';
import { query } from './helpers.ts';

const COLUMNS = [
  'Hostname', 'Uptime', 'BootTime', 'OS', 'Platform', 'PlatformFamily', 'PlatformVersion', 'KernelVersion',
  'VirtualizationSystem', 'VirtualizationRole', 'CompilerVersion', 'HostID', 'Exe', 'CWD', 'IsAdmin', 'ClientStart',
  'LocalTZ', 'LocalTZOffset', 'Fqdn', 'Architecture',
];

test('info() is one row with Velociraptor columns describing this machine', async () => {
  const { rows, logs } = await query('SELECT * FROM info()');
  assert.deepEqual(logs, []);
  assert.equal(rows.length, 1);
  const r = rows[0]!;
  assert.deepEqual(r.keys(), COLUMNS);
  assert.equal(r.get('Hostname'), os.hostname());
  assert.equal(r.get('OS'), { win32: 'windows' }[process.platform as string] ?? process.platform);
  assert.equal(r.get('Architecture'), { x64: 'amd64', arm64: 'arm64' }[process.arch as string] ?? r.get('Architecture'));
  assert.equal(r.get('KernelVersion'), os.release());
  assert.equal(r.get('Exe'), process.execPath);
  assert.equal(r.get('CWD'), process.cwd());
  assert.ok(r.get('ClientStart') instanceof VTime);
  assert.ok(Math.abs((r.get('ClientStart') as VTime).millis - (Date.now() - process.uptime() * 1000)) < 1000);
  const bootFromUptime = Date.now() / 1000 - (r.get('Uptime') as number);
  assert.ok(Math.abs((r.get('BootTime') as number) - bootFromUptime) < 5, 'BootTime + Uptime = now');
  assert.equal(r.get('LocalTZOffset'), -new Date().getTimezoneOffset() * 60);
  if (process.platform === 'linux') {
    for (const c of COLUMNS) assert.notEqual(r.get(c), null, `${c} is not NULL`);
    for (const c of ['Platform', 'PlatformVersion', 'HostID', 'Fqdn', 'LocalTZ', 'CompilerVersion']) assert.ok((r.get(c) as string).length > 0, c);
    const rel = parseOsRelease(readFileSync('/etc/os-release', 'utf8'));
    assert.equal(r.get('Platform'), rel.get('ID'));
    assert.ok((r.get('PlatformVersion') as string).startsWith(rel.get('VERSION_ID') ?? ''));
    assert.equal(r.get('IsAdmin'), process.geteuid!() === 0);
    assert.match(r.get('HostID') as string, /^[0-9a-f-]{36}$/);
  }
});

test('info() as a function, and in a precondition', async () => {
  const os1 = (await query('SELECT info().OS AS OS, info().Hostname AS H FROM scope()')).rows[0]!;
  assert.equal(os1.get('H'), os.hostname());
  const expected = os1.get('OS') as string;
  assert.equal((await query(`SELECT OS FROM info() WHERE OS = '${expected}'`)).rows.length, 1);
  assert.equal((await query("SELECT OS FROM info() WHERE OS = 'plan9'")).rows.length, 0);
});

test('environ() lists the environment; vars= selects variables', async () => {
  const all = (await query('SELECT * FROM environ()')).rows;
  assert.equal(all.length, Object.keys(process.env).length);
  for (const r of all) assert.equal(r.get('Value'), process.env[r.get('Name') as string]);
  const some = (await query("SELECT * FROM environ(vars=['PATH', 'NO_SUCH_VARIABLE_XYZ'])")).rows;
  assert.deepEqual(some.map((r) => [r.get('Name'), r.get('Value')]), [['PATH', process.env.PATH]]);
});

test('whoami() is the account the engine runs as', async () => {
  const { rows } = await query('SELECT whoami() AS W FROM scope()');
  assert.equal(rows[0]!.get('W'), os.userInfo().username);
});
