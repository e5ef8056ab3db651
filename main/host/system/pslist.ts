/**
 * `pslist(pid=)`: the processes of this machine (VELOCIRAPTOR.md 4.4).
 *
 * Linux (read from /proc, no child process), columns in Velociraptor's order:
 * `Pid`, `Name`, `Ppid`, `CommandLine` (argv joined by spaces), `CreateTime` (RFC 3339 string,
 * UTC, whole seconds, as gopsutil's Linux row), `Times`, `Exe`, `Cwd`, `Username`, `MemoryInfo`.
 * - `Times` is gopsutil's TimesStat in CPU seconds (floats): `user`, `system`, `iowait`
 *   (delay-accounted block I/O), `guest` are filled; `idle`, `nice`, `irq`, `softirq`, `steal`,
 *   `guestNice` are 0 (they have no per-process meaning, as in gopsutil). The `cpu` label is left out.
 * - `MemoryInfo` is gopsutil's MemoryInfoStat in bytes (`rss`, `vms`, `hwm`, `data`, `stack`,
 *   `locked`, `swap`, from /proc/<pid>/status; 0 for kernel threads).
 * - Both resolve members by json tag or Go field name: `Times.user`, `Times.User`,
 *   `MemoryInfo.RSS`, `MemoryInfo.rss`; JSON output uses the json tags.
 * - `Exe` and `Cwd` are NULL when the link cannot be read (another user's process when not
 *   root, kernel threads); `Username` comes from /etc/passwd (the uid as text when unknown).
 *
 * macOS and Windows: see pslist-pidusage.ts for the columns and which are NULL there.
 *
 * `pid=N` reads only that process (no row when it does not exist); pid 0 or absent lists all.
 */
import type { PluginDef } from '../../vql/index.ts';
import { VDict } from '../../vql/index.ts';
import { listPids, readProcess, usernames, type ProcInfo } from './proc.ts';
import { MemoryInfoStat, TimesStat, goFloat } from './gostruct.ts';
import { pslistPidusage } from './pslist-pidusage.ts';

/** The Linux pslist row of one process. */
export function linuxRow(p: ProcInfo, username: (uid: number) => string): VDict {
  const d = new VDict();
  d.map.set('Pid', p.pid);
  d.map.set('Name', p.name);
  d.map.set('Ppid', p.ppid);
  d.map.set('CommandLine', p.cmdline.join(' '));
  d.map.set('CreateTime', new Date(Math.floor(p.createTimeMs / 1000) * 1000).toISOString().replace('.000Z', 'Z'));
  d.map.set('Times', TimesStat.of([goFloat(p.user), goFloat(p.system), goFloat(0), goFloat(0), goFloat(p.iowait), goFloat(0), goFloat(0), goFloat(0), goFloat(p.guest), goFloat(0)]));
  d.map.set('Exe', p.exe);
  d.map.set('Cwd', p.cwd);
  d.map.set('Username', p.uid === null ? null : username(p.uid));
  d.map.set('MemoryInfo', MemoryInfoStat.of([p.rss, p.vms, p.hwm, p.data, p.stack, p.locked, p.swap]));
  return d;
}

/** Every process (or the one `pid`) as Linux pslist rows. */
export function* linuxRows(pid: number, signal?: AbortSignal): Generator<VDict> {
  const username = usernames();
  const pids = pid > 0 ? [pid] : listPids();
  for (const p of pids) {
    if (signal?.aborted) return;
    const info = readProcess(p);
    if (info) yield linuxRow(info, username);
  }
}

/** The pslist plugin with the rows of `platform` (tests build the macOS/Windows shapes on Linux). */
export function pslistPlugin(platform: NodeJS.Platform = process.platform): PluginDef {
  return {
    name: 'pslist',
    doc:
      'List the processes of this machine (one row per process). Linux: Pid, Name, Ppid, CommandLine, CreateTime, ' +
      'Times (user, system... CPU seconds), Exe, Cwd, Username, MemoryInfo (RSS, VMS... bytes). ' +
      'Windows: Pid, Ppid, Name, ..., User, System (CPU seconds), Memory (WorkingSetSize...). pid= reads only that process.',
    args: {
      pid: { type: 'int', doc: 'Only this process (0 or absent: all processes)', default: '0' },
    },
    batched: true,
    async *run({ args, signal, log }) {
      const pid = Number(args.pid ?? 0);
      if (platform === 'linux') {
        // One batch: a full scan takes a few ms, and a batch costs one async step downstream.
        const rows = [...linuxRows(pid, signal)];
        if (rows.length) yield rows;
        return;
      }
      const rows = await pslistPidusage(pid, log, platform);
      if (rows.length && !signal.aborted) yield rows;
    },
  };
}

export const pslist: PluginDef = pslistPlugin();
