// The macOS and Windows row shapes of pslist (pslist-pidusage.ts), built on this machine:
// our own process from Node's built-ins, another process (pid 1) through pidusage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pslistPlugin } from '../../../main/host/system/pslist.ts';
import { num, query, systemRegistry } from './helpers.ts';

const MB = 1024 * 1024;

test('Windows shape: the Windows source of Generic.Client.Stats runs (User + System, Memory.WorkingSetSize)', async () => {
  const registry = systemRegistry().registerPlugin(pslistPlugin('win32'));
  const before = process.cpuUsage();
  const { rows, logs } = await query(
    `SELECT *, rate(x=CPU, y=Timestamp) AS CPUPercent
     FROM foreach(row={ SELECT UnixNano FROM clock(ms=100) },
                  query={ SELECT UnixNano / 1000000000 as Timestamp, User + System as CPU, Memory.WorkingSetSize as RSS
                          FROM pslist(pid=getpid()) })
     LIMIT 2`,
    registry,
  );
  const after = process.cpuUsage();
  assert.deepEqual(logs, []);
  assert.equal(rows.length, 2);
  const cpu = num(rows[0]!.get('CPU'));
  assert.ok(cpu >= (before.user + before.system) / 1e6 && cpu <= (after.user + after.system) / 1e6, `CPU ${cpu}`);
  assert.ok(Math.abs(num(rows[0]!.get('RSS')) - process.memoryUsage.rss()) < 32 * MB);
  assert.equal(rows[0]!.get('CPUPercent'), null);
  assert.equal(typeof num(rows[1]!.get('CPUPercent')), 'number');

  const self = (await query('SELECT * FROM pslist(pid=getpid())', registry)).rows[0]!;
  assert.deepEqual(self.keys(), ['Pid', 'Ppid', 'Name', 'Threads', 'Username', 'OwnerSid', 'CommandLine', 'Exe', 'TokenIsElevated', 'CreateTime', 'User', 'System', 'IoCounters', 'Memory', 'PebBaseAddress', 'IsWow64']);
  assert.equal(self.get('Pid'), process.pid);
  assert.equal(self.get('Exe'), process.execPath);
});

test('Windows and macOS shapes of another process come from pidusage', async () => {
  for (const platform of ['win32', 'darwin'] as const) {
    const registry = systemRegistry().registerPlugin(pslistPlugin(platform));
    const cpu = platform === 'win32' ? 'User + System' : 'Times.user + Times.system';
    const rss = platform === 'win32' ? 'Memory.WorkingSetSize' : 'MemoryInfo.RSS';
    const { rows, logs } = await query(`SELECT Pid, Ppid, ${cpu} AS CPU, ${rss} AS RSS FROM pslist(pid=1)`, registry);
    assert.deepEqual(logs, []);
    assert.equal(rows.length, 1, platform);
    assert.equal(rows[0]!.get('Pid'), 1);
    assert.equal(rows[0]!.get('Ppid'), 0);
    assert.ok(num(rows[0]!.get('CPU')) >= 0 && num(rows[0]!.get('RSS')) > 0);
    assert.deepEqual((await query('SELECT * FROM pslist(pid=2147483646)', registry)).rows, []);
  }
});

test('macOS shape of our own process: Times.user/system and MemoryInfo.rss filled, the rest NULL', async () => {
  const registry = systemRegistry().registerPlugin(pslistPlugin('darwin'));
  const { rows } = await query('SELECT *, Times.User AS U, MemoryInfo.VMS AS VMS FROM pslist(pid=getpid())', registry);
  const r = rows[0]!;
  assert.deepEqual(r.keys(), ['Pid', 'Name', 'Ppid', 'CommandLine', '_Argv', 'CreateTime', 'Times', 'Exe', 'Cwd', 'Uid', 'Username', 'MemoryInfo', 'U', 'VMS']);
  assert.ok(num(r.get('U')) > 0);
  assert.equal(r.get('VMS'), null);
  assert.equal(r.get('Cwd'), process.cwd());
});
