/**
 * Facts about this machine for info(), computed as gopsutil's `host.Info()` does where it can
 * be done without native code: OS and architecture in Go's names, platform from os-release,
 * virtualization, host id, FQDN, administrator rights.
 */
import { execFile } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { promises as dns } from 'node:dns';
import os from 'node:os';

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function run(cmd: string, argv: string[]): Promise<string> {
  return new Promise((resolve) =>
    execFile(cmd, argv, { windowsHide: true, timeout: 5000 }, (err, stdout) => resolve(err ? '' : stdout)),
  );
}

/** Go's runtime.GOOS: `linux`, `windows`, `darwin`... */
export function goOS(): string {
  return process.platform === 'win32' ? 'windows' : process.platform;
}

/** Go's runtime.GOARCH: `amd64`, `arm64`, `386`... */
export function goArch(): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };
  return map[process.arch] ?? process.arch;
}

/** KEY=value pairs of an os-release style file (quotes removed). */
export function parseOsRelease(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) out.set(m[1]!, m[2]!.replace(/^(["'])(.*)\1$/, '$2'));
  }
  return out;
}

const FAMILIES: Record<string, string[]> = {
  debian: ['debian', 'ubuntu', 'linuxmint', 'raspbian', 'pop', 'kali'],
  rhel: ['oracle', 'ol', 'centos', 'redhat', 'rhel', 'scientific', 'enterpriseenterprise', 'amazon', 'amzn', 'xenserver', 'cloudlinux', 'ibm_powerkvm', 'rocky', 'almalinux'],
  suse: ['suse', 'opensuse', 'opensuse-leap', 'opensuse-tumbleweed', 'opensuse-tumbleweed-kubic', 'sles', 'sled', 'caasp'],
  fedora: ['fedora'],
  arch: ['arch', 'manjaro'],
  gentoo: ['gentoo'],
  alpine: ['alpine'],
  coreos: ['coreos'],
  solus: ['solus'],
};

export interface PlatformInfo {
  Platform: string;
  PlatformFamily: string;
  PlatformVersion: string;
}

/** Platform, family and version as gopsutil reports them. */
export async function platformInfo(): Promise<PlatformInfo> {
  if (process.platform === 'linux') {
    const rel = parseOsRelease(read('/etc/os-release') || read('/usr/lib/os-release'));
    const id = (rel.get('ID') ?? '').toLowerCase();
    const family = Object.keys(FAMILIES).find((k) => FAMILIES[k]!.includes(id)) ?? '';
    // gopsutil takes Debian's point release from /etc/debian_version (12.7 rather than 12).
    const debian = id === 'debian' ? read('/etc/debian_version').trim() : '';
    return { Platform: id, PlatformFamily: family, PlatformVersion: /^\d/.test(debian) ? debian : rel.get('VERSION_ID') ?? '' };
  }
  if (process.platform === 'darwin') {
    const plist = read('/System/Library/CoreServices/SystemVersion.plist');
    const m = /<key>ProductVersion<\/key>\s*<string>([^<]*)<\/string>/.exec(plist);
    return { Platform: 'darwin', PlatformFamily: 'Standalone Workstation', PlatformVersion: m?.[1] ?? '' };
  }
  if (process.platform === 'win32') {
    const build = os.release().split('.')[2] ?? '';
    return { Platform: `Microsoft ${os.version()}`, PlatformFamily: /server/i.test(os.version()) ? 'Server' : 'Standalone Workstation', PlatformVersion: `${os.release()} Build ${build}` };
  }
  return { Platform: process.platform, PlatformFamily: '', PlatformVersion: os.release() };
}

/** gopsutil's VirtualizationSystem and VirtualizationRole ('' and '' on bare metal). */
export function virtualization(): { system: string; role: string } {
  if (process.platform !== 'linux') return { system: '', role: '' };
  if (existsSync('/.dockerenv') || existsSync('/run/.containerenv')) return { system: existsSync('/.dockerenv') ? 'docker' : 'podman', role: 'guest' };
  const cgroup = read('/proc/1/cgroup');
  if (/docker/.test(cgroup)) return { system: 'docker', role: 'guest' };
  if (/lxc/.test(cgroup) || /container=lxc/.test(read('/proc/1/environ'))) return { system: 'lxc', role: 'guest' };
  if (/kubepods/.test(cgroup)) return { system: 'kubepods', role: 'guest' };
  if (existsSync('/proc/xen')) return { system: 'xen', role: read('/proc/xen/capabilities').includes('control_d') ? 'host' : 'guest' };
  const modules = read('/proc/modules');
  if (/^kvm\b/m.test(modules)) return { system: 'kvm', role: 'host' };
  if (/^vboxdrv\b/m.test(modules)) return { system: 'vbox', role: 'host' };
  if (/^vboxguest\b/m.test(modules)) return { system: 'vbox', role: 'guest' };
  if (/\bhypervisor\b/.test(read('/proc/cpuinfo'))) {
    const vendor = (read('/sys/class/dmi/id/sys_vendor') + read('/sys/class/dmi/id/product_name')).toLowerCase();
    const system = /vmware/.test(vendor) ? 'vmware' : /virtualbox|innotek/.test(vendor) ? 'vbox' : /microsoft/.test(vendor) ? 'hyperv' : /xen/.test(vendor) ? 'xen' : 'kvm';
    return { system, role: 'guest' };
  }
  return { system: '', role: '' };
}

/** A stable machine id: DMI product UUID, else machine-id as a UUID, else the boot id (Linux). */
export async function hostId(): Promise<string> {
  if (process.platform === 'linux') {
    const uuid = read('/sys/class/dmi/id/product_uuid').trim().toLowerCase();
    if (uuid) return uuid;
    const mid = read('/etc/machine-id').trim() || read('/var/lib/dbus/machine-id').trim();
    if (/^[0-9a-f]{32}$/i.test(mid)) return mid.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5').toLowerCase();
    return read('/proc/sys/kernel/random/boot_id').trim();
  }
  if (process.platform === 'win32') {
    const out = await run('reg', ['query', 'HKLM\\SOFTWARE\\Microsoft\\Cryptography', '/v', 'MachineGuid']);
    return /MachineGuid\s+REG_SZ\s+(\S+)/.exec(out)?.[1]?.toLowerCase() ?? '';
  }
  if (process.platform === 'darwin') {
    const out = await run('ioreg', ['-rd1', '-c', 'IOPlatformExpertDevice']);
    return /"IOPlatformUUID" = "([^"]+)"/.exec(out)?.[1]?.toLowerCase() ?? '';
  }
  return '';
}

/** The fully qualified host name: the hostname when it has a dot, else its canonical DNS/hosts name. */
export async function fqdn(): Promise<string> {
  const host = os.hostname();
  if (host.includes('.')) return host;
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve(host), 1000).unref());
  const lookup = (async () => {
    try {
      const { address } = await dns.lookup(host);
      const { hostname } = await dns.lookupService(address, 0);
      return hostname.includes('.') && hostname.toLowerCase().startsWith(host.toLowerCase()) ? hostname : host;
    } catch {
      return host;
    }
  })();
  return Promise.race([lookup, timeout]);
}

/** Root on Unix (effective uid 0); on Windows, whether the raw disk can be opened (elevated). */
export function isAdmin(): boolean {
  if (process.platform !== 'win32') return process.geteuid?.() === 0;
  try {
    closeSync(openSync('\\\\.\\PHYSICALDRIVE0', 'r'));
    return true;
  } catch {
    return false;
  }
}
