// pslist() and getpid() against the real machine: what ps, process.cpuUsage() and
// process.memoryUsage() say about this very process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { VDict, toJSON } from '../../../main/vql/index.ts';
import { num, query } from './helpers.ts';

const linux = process.platform === 'linux';
const MB = 1024 * 1024;

test('getpid() is this process id', async () => {
  const { rows } = await query('SELECT getpid() AS P FROM scope()');
  assert.equal(rows[0]!.get('P'), process.pid);
});

test('pslist(pid=getpid()) agrees with process.cpuUsage(), process.memoryUsage() and ps', async () => {
  const before = process.cpuUsage();
  const { rows, logs } = await query(
    'SELECT *, Times.user AS U, Times.User AS U2, Times.system AS S, MemoryInfo.RSS AS RSS, MemoryInfo.rss AS rss FROM pslist(pid=getpid())',
  );
  const after = process.cpuUsage();
  const rssNow = process.memoryUsage.rss();
  assert.deepEqual(logs, []);
  assert.equal(rows.length, 1);
  const r = rows[0]!;
  assert.equal(r.get('Pid'), process.pid);
  assert.equal(r.get('Ppid'), process.ppid);
  // Go field name and json tag reach the same member.
  assert.equal(num(r.get('U')), num(r.get('U2')));
  assert.equal(r.get('RSS'), r.get('rss'));
  // /proc counts in 10 ms ticks; getrusage in µs: allow a few ticks either side.
  const slack = 0.05;
  assert.ok(num(r.get('U')) >= before.user / 1e6 - slack && num(r.get('U')) <= after.user / 1e6 + slack, `user ${String(r.get('U'))} vs ${before.user / 1e6}..${after.user / 1e6}`);
  assert.ok(num(r.get('S')) >= before.system / 1e6 - slack && num(r.get('S')) <= after.system / 1e6 + slack, `system ${String(r.get('S'))}`);
  assert.ok(Math.abs(num(r.get('RSS')) - rssNow) < 16 * MB, `rss ${String(r.get('RSS'))} vs ${rssNow}`);
  if (!linux) return;
  assert.deepEqual(r.keys().slice(0, 10), ['Pid', 'Name', 'Ppid', 'CommandLine', 'CreateTime', 'Times', 'Exe', 'Cwd', 'Username', 'MemoryInfo']);
  const ps = execFileSync('ps', ['-o', 'rss=,cputimes=,ppid=', '-p', String(process.pid)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
  assert.ok(Math.abs(num(r.get('RSS')) / 1024 - ps[0]!) < 16 * 1024, `ps rss ${ps[0]} KiB`);
  assert.ok(Math.abs(num(r.get('U')) + num(r.get('S')) - ps[1]!) <= 1.1, `ps cputimes ${ps[1]}`);
  assert.equal(ps[2], process.ppid);
  assert.equal(r.get('Name'), 'node');
  assert.equal(r.get('Exe'), process.execPath);
  assert.equal(r.get('Cwd'), process.cwd());
  assert.equal(r.get('Username'), userInfo().username);
  assert.ok((r.get('CommandLine') as string).includes(process.argv[1]!), String(r.get('CommandLine')));
  // CreateTime: an RFC 3339 string, when this process started (to the second).
  const created = Date.parse(r.get('CreateTime') as string);
  assert.match(r.get('CreateTime') as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(Math.abs(created - (Date.now() - process.uptime() * 1000)) < 2500, `created ${String(r.get('CreateTime'))}`);
  // JSON uses the json tags (gopsutil's), in struct order.
  const json = JSON.parse(toJSON(r)) as Record<string, Record<string, number>>;
  assert.deepEqual(Object.keys(json.MemoryInfo!), ['rss', 'vms', 'hwm', 'data', 'stack', 'locked', 'swap']);
  assert.deepEqual(Object.keys(json.Times!), ['user', 'system', 'idle', 'nice', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guestNice']);
  assert.ok(json.MemoryInfo!.vms! >= json.MemoryInfo!.rss! && json.MemoryInfo!.hwm! >= json.MemoryInfo!.rss! - 16 * MB);
});

test('pslist() lists init and this process, each once, in pid order', async () => {
  const psPids = () => (linux ? execFileSync('ps', ['-e', '-o', 'pid='], { encoding: 'utf8' }).trim().split('\n').map(Number) : []);
  const ps1 = psPids();
  const t0 = performance.now();
  const { rows, logs } = await query('SELECT Pid, Name, Ppid, Username, Exe, MemoryInfo.RSS AS RSS FROM pslist()');
  const ms = performance.now() - t0;
  const ps2 = new Set(psPids());
  assert.deepEqual(logs, []);
  const pids = rows.map((r) => r.get('Pid') as number);
  assert.ok(pids.includes(process.pid));
  assert.deepEqual([...pids].sort((a, b) => a - b), pids);
  assert.equal(new Set(pids).size, pids.length);
  if (linux) {
    assert.equal(pids[0], 1);
    assert.equal(rows[0]!.get('Ppid'), 0);
    // Every process ps saw both before and after the scan (but ps itself) is listed.
    const stable = ps1.filter((p) => ps2.has(p));
    assert.deepEqual(stable.filter((p) => !pids.includes(p)), []);
    assert.ok(stable.length >= 2);
  }
  assert.ok(ms < 1000, `pslist() took ${ms} ms`);
});

test('pslist(pid=) of a process that does not exist gives no rows', async () => {
  const { rows, logs } = await query('SELECT * FROM pslist(pid=2147483646)');
  assert.deepEqual(rows, []);
  assert.deepEqual(logs, []);
});

test('pslist rows keep their members: Times and MemoryInfo by Go name and json tag, in WHERE too', async () => {
  const { rows } = await query(
    'SELECT Pid FROM pslist() WHERE Pid = getpid() AND MemoryInfo.RSS > 0 AND MemoryInfo.rss = MemoryInfo.RSS AND Times.User = Times.user',
  );
  assert.deepEqual(rows.map((r) => r.get('Pid')), [process.pid]);
});

// The non-Windows source of Generic.Client.Stats, unchanged but for the clock period.
const STATS = `
SELECT *, rate(x=CPU, y=Timestamp) AS CPUPercent
FROM foreach(
   row={ SELECT UnixNano FROM clock(ms=200) },
   query={
     SELECT UnixNano / 1000000000 as Timestamp,
            Times.system + Times.user as CPU,
            MemoryInfo.RSS as RSS
     FROM pslist(pid=getpid())
   })
LIMIT 3`;

test('Generic.Client.Stats: Timestamp (float seconds), CPU and RSS agree with the OS; CPUPercent is a rate', async () => {
  const before = process.cpuUsage();
  const start = Date.now() / 1000;
  const { rows, logs } = await query(STATS);
  const after = process.cpuUsage();
  assert.deepEqual(logs, []);
  assert.equal(rows.length, 3);
  for (const r of rows) {
    assert.deepEqual(r.keys(), ['Timestamp', 'CPU', 'RSS', 'CPUPercent']);
    const ts = r.get('Timestamp');
    assert.equal(typeof ts, 'number');
    assert.ok(!Number.isInteger(ts) && (ts as number) > start - 1 && (ts as number) < Date.now() / 1000 + 1, `Timestamp ${String(ts)}`);
    const cpu = num(r.get('CPU'));
    assert.ok(cpu >= (before.user + before.system) / 1e6 - 0.1 && cpu <= (after.user + after.system) / 1e6 + 0.1, `CPU ${cpu}`);
    assert.ok(Math.abs(num(r.get('RSS')) - process.memoryUsage.rss()) < 32 * MB, `RSS ${String(r.get('RSS'))}`);
  }
  assert.equal(rows[0]!.get('CPUPercent'), null);
  const expected = (num(rows[1]!.get('CPU')) - num(rows[0]!.get('CPU'))) / (num(rows[1]!.get('Timestamp')) - num(rows[0]!.get('Timestamp')));
  assert.ok(Math.abs(num(rows[1]!.get('CPUPercent')) - expected) < 1e-9);
  assert.ok(num(rows[2]!.get('CPUPercent')) >= 0 && num(rows[2]!.get('CPUPercent')) < 4);
});

test('pslist rows serialize as plain dicts', async () => {
  const { rows } = await query('SELECT MemoryInfo, Times FROM pslist(pid=getpid())');
  assert.ok(rows[0]!.get('MemoryInfo') instanceof VDict);
  assert.ok((rows[0]!.get('Times') as VDict).has('user'));
});
