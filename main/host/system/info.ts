/**
 * `info()`: facts about this machine and this process (VELOCIRAPTOR.md 4.6), as a plugin (one
 * row, `SELECT OS FROM info() WHERE OS = 'linux'`) and as a function (`info().Hostname`).
 *
 * Columns: Hostname, Uptime (s), BootTime (epoch s), OS (`linux`/`windows`/`darwin`),
 * Platform, PlatformFamily, PlatformVersion, KernelVersion, VirtualizationSystem,
 * VirtualizationRole, CompilerVersion (the Node.js version, where Velociraptor gives Go's),
 * HostID, Exe, CWD, IsAdmin, ClientStart (a time: when this process started), LocalTZ (zone
 * abbreviation), LocalTZOffset (seconds east of UTC), Fqdn, Architecture (`amd64`/`arm64`...).
 * Unknown strings are '' as in gopsutil. The slow facts (host id, FQDN) are computed once.
 */
import os from 'node:os';
import { VTime, type FunctionDef, type PluginDef } from '../../vql/index.ts';
import { bootTime } from './proc.ts';
import { fqdn, goArch, goOS, hostId, isAdmin, platformInfo, virtualization, type PlatformInfo } from './hostinfo.ts';

interface StaticInfo extends PlatformInfo {
  HostID: string;
  Fqdn: string;
  Virt: { system: string; role: string };
  Admin: boolean;
}

let cached: Promise<StaticInfo> | undefined;

function staticInfo(): Promise<StaticInfo> {
  cached ??= (async () => {
    const [platform, id, name] = await Promise.all([platformInfo(), hostId(), fqdn()]);
    return { ...platform, HostID: id, Fqdn: name, Virt: virtualization(), Admin: isAdmin() };
  })();
  return cached;
}

const clientStart = VTime.fromMillis(Date.now() - process.uptime() * 1000);

/** The local zone's abbreviation (`UTC`, `CET`, `PST`...) or its GMT offset name. */
function zoneName(d: Date): string {
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
    const name = part?.value ?? 'UTC';
    return name === 'GMT' && d.getTimezoneOffset() === 0 ? 'UTC' : name;
  } catch {
    return 'UTC';
  }
}

/** The info() row. */
export async function infoRow(): Promise<Record<string, unknown>> {
  const s = await staticInfo();
  const now = new Date();
  const uptime = Math.floor(os.uptime());
  return {
    Hostname: os.hostname(),
    Uptime: uptime,
    BootTime: process.platform === 'linux' ? bootTime() : Math.floor(now.getTime() / 1000 - uptime),
    OS: goOS(),
    Platform: s.Platform,
    PlatformFamily: s.PlatformFamily,
    PlatformVersion: s.PlatformVersion,
    KernelVersion: os.release(),
    VirtualizationSystem: s.Virt.system,
    VirtualizationRole: s.Virt.role,
    CompilerVersion: `node${process.versions.node}`,
    HostID: s.HostID,
    Exe: process.execPath,
    CWD: process.cwd(),
    IsAdmin: s.Admin,
    ClientStart: clientStart,
    LocalTZ: zoneName(now),
    LocalTZOffset: -now.getTimezoneOffset() * 60,
    Fqdn: s.Fqdn,
    Architecture: goArch(),
  };
}

const DOC =
  'Information about this machine and process: Hostname, Uptime, BootTime, OS (linux/windows/darwin), Platform, PlatformFamily, ' +
  'PlatformVersion, KernelVersion, VirtualizationSystem, VirtualizationRole, CompilerVersion, HostID, Exe, CWD, IsAdmin, ' +
  'ClientStart, LocalTZ, LocalTZOffset, Fqdn, Architecture.';

export const infoPlugin: PluginDef = {
  name: 'info',
  doc: DOC + ' One row.',
  args: {},
  async *run() {
    yield await infoRow();
  },
};

export const infoFunction: FunctionDef = {
  name: 'info',
  doc: DOC + ' As a dict.',
  args: {},
  run: () => infoRow(),
};
