/**
 * pslist() on macOS and Windows, where there is no /proc. Our own process comes from Node's
 * built-ins (exact, no child process); other processes from `pidusage` (which runs `ps` on
 * macOS and `wmic`/PowerShell on Windows); the list of all pids from `ps -axo pid=,comm=`
 * (macOS) or `tasklist /FO CSV /NH` (Windows), run without a shell.
 *
 * macOS columns (Velociraptor's darwin order): Pid, Name, Ppid, CommandLine, _Argv,
 * CreateTime (a time), Times, Exe, Cwd, Uid, Username, MemoryInfo. Times has `user` and
 * `system` (its other fields are NULL), MemoryInfo has `rss`.
 * - Own process: everything but `MemoryInfo.vms`, `MemoryInfo.swap`, `MemoryInfo.hwm/data/stack/locked` (NULL).
 * - Other processes: Pid, Ppid, Name (when listing all), CreateTime, Times, MemoryInfo.rss;
 *   NULL: CommandLine, _Argv, Exe, Cwd, Uid, Username and the other MemoryInfo fields.
 *
 * Windows columns (Velociraptor's Win32_Process order): Pid, Ppid, Name, Threads, Username,
 * OwnerSid, CommandLine, Exe, TokenIsElevated, CreateTime, User, System, IoCounters, Memory,
 * PebBaseAddress, IsWow64.
 * - Own process: Pid, Ppid, Name, Username (DOMAIN\user), CommandLine, Exe, CreateTime, User,
 *   System, Memory.WorkingSetSize; NULL: Threads, OwnerSid, TokenIsElevated, IoCounters,
 *   PebBaseAddress, IsWow64 and the other Memory counters.
 * - Other processes: Pid, Ppid, Name (when listing all), CreateTime, User, System,
 *   Memory.WorkingSetSize; the rest NULL.
 *
 * pidusage gives other processes' CPU time as user+system combined: it is reported as the
 * user time (`Times.user` / `User`) with a system time of 0, so that `user + system` (what
 * Generic.Client.Stats computes) is right.
 */
import { execFile } from 'node:child_process';
import { basename } from 'node:path';
import { userInfo } from 'node:os';
import { VDict, VTime, type LogLevel } from '../../vql/index.ts';
import { MemoryInfoStat, ProcessMemoryCounters, TimesStat, goFloat } from './gostruct.ts';

/** What is known about one process; null where unknown. */
interface Proc {
  pid: number;
  ppid: number | null;
  name: string | null;
  argv: string[] | null;
  exe: string | null;
  cwd: string | null;
  uid: number | null;
  username: string | null;
  createMs: number | null;
  user: number | null;
  system: number | null;
  rss: number | null;
}

function self(platform: NodeJS.Platform): Proc {
  const cpu = process.cpuUsage();
  let username: string | null = null;
  try {
    const u = userInfo().username;
    username = platform === 'win32' && process.env.USERDOMAIN ? `${process.env.USERDOMAIN}\\${u}` : u;
  } catch {
    // No passwd entry.
  }
  return {
    pid: process.pid,
    ppid: process.ppid,
    name: basename(process.execPath),
    argv: [process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    exe: process.execPath,
    cwd: process.cwd(),
    uid: process.getuid?.() ?? null,
    username,
    createMs: Date.now() - process.uptime() * 1000,
    user: cpu.user / 1e6,
    system: cpu.system / 1e6,
    rss: process.memoryUsage.rss(),
  };
}

function run(cmd: string, argv: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, argv, { windowsHide: true, maxBuffer: 64 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
}

/** Every pid with its name, from `ps` (macOS) or `tasklist` (Windows). */
async function allPids(platform: NodeJS.Platform): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  if (platform === 'win32') {
    for (const line of (await run('tasklist', ['/FO', 'CSV', '/NH'])).split(/\r?\n/)) {
      const m = /^"([^"]*)","(\d+)"/.exec(line);
      if (m) out.set(Number(m[2]), m[1]!);
    }
  } else {
    for (const line of (await run('ps', ['-axo', 'pid=,comm='])).split('\n')) {
      const m = /^\s*(\d+)\s+(.*)$/.exec(line);
      if (m) out.set(Number(m[1]), basename(m[2]!));
    }
  }
  return out;
}

type Stat = { ppid: number; ctime: number; memory: number; elapsed: number; timestamp: number };

/** pidusage for many pids; when one of them vanished mid-call, each pid on its own. */
async function usage(pids: number[]): Promise<Map<number, Stat>> {
  const pidusage = (await import('pidusage')).default;
  const out = new Map<number, Stat>();
  try {
    const all = await pidusage(pids);
    for (const [k, v] of Object.entries(all)) if (v) out.set(Number(k), v);
  } catch {
    const each = await Promise.allSettled(pids.map((p) => pidusage(p)));
    each.forEach((r, i) => r.status === 'fulfilled' && out.set(pids[i]!, r.value));
  }
  pidusage.clear();
  return out;
}

function other(pid: number, name: string | null, s: Stat): Proc {
  return {
    pid, ppid: s.ppid, name, argv: null, exe: null, cwd: null, uid: null, username: null,
    createMs: s.timestamp - s.elapsed, user: s.ctime / 1000, system: 0, rss: s.memory,
  };
}

const f = (n: number | null) => (n === null ? null : goFloat(n));

function darwinRow(p: Proc): VDict {
  return VDict.fromObject({
    Pid: p.pid, Name: p.name, Ppid: p.ppid,
    CommandLine: p.argv?.join(' ') ?? null, _Argv: p.argv,
    CreateTime: p.createMs === null ? null : VTime.fromMillis(p.createMs),
    Times: TimesStat.of([f(p.user), f(p.system)]),
    Exe: p.exe, Cwd: p.cwd, Uid: p.uid, Username: p.username,
    MemoryInfo: MemoryInfoStat.of([p.rss]),
  });
}

function windowsRow(p: Proc): VDict {
  return VDict.fromObject({
    Pid: p.pid, Ppid: p.ppid, Name: p.name, Threads: null, Username: p.username, OwnerSid: null,
    CommandLine: p.argv?.join(' ') ?? null, Exe: p.exe, TokenIsElevated: null,
    CreateTime: p.createMs === null ? null : VTime.fromMillis(p.createMs),
    User: f(p.user), System: f(p.system), IoCounters: null,
    Memory: ProcessMemoryCounters.of([null, null, p.rss]), PebBaseAddress: null, IsWow64: null,
  });
}

/**
 * pslist rows for `pid` (0: all processes) in the shape of `platform` (`win32`: Windows rows,
 * anything else: macOS rows; tests ask for either shape on any OS).
 */
export async function pslistPidusage(pid: number, log: (level: LogLevel, message: string) => void, platform: NodeJS.Platform = process.platform): Promise<VDict[]> {
  const toRow = platform === 'win32' ? windowsRow : darwinRow;
  if (pid === process.pid) return [toRow(self(platform))];
  let names = new Map<number, string>();
  try {
    if (pid > 0) names.set(pid, '');
    else names = await allPids(platform);
  } catch (e) {
    log('error', `cannot list processes: ${(e as Error).message}`);
    return [];
  }
  const others = [...names.keys()].filter((p) => p !== process.pid);
  const stats = others.length ? await usage(others) : new Map<number, Stat>();
  const rows: VDict[] = [];
  for (const p of [...names.keys()].sort((a, b) => a - b)) {
    if (p === process.pid) rows.push(toRow(self(platform)));
    else {
      const s = stats.get(p);
      if (s) rows.push(toRow(other(p, names.get(p) || null, s)));
    }
  }
  return rows;
}
