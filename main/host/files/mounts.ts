/**
 * Which filesystem a device is (Linux): Data.FSType of glob rows, with Velociraptor's names
 * (statfs magic names: `ext2` for ext2/3/4, `overlayfs`, `nfs`, `fuse`...), and whether it is
 * a network or automounted filesystem, where one stat() can block for as long as the server
 * is away. The file accessor lists local directories with synchronous calls (five times
 * faster than node's asynchronous ones here: see scripts/bench-glob.ts) and the others with
 * asynchronous ones, so a dead NFS server never freezes the engine thread.
 *
 * Devices are looked up in /proc/self/mountinfo (read again when it is older than a few
 * seconds); a device that is not there (btrfs subvolumes) is asked with statfs().
 */
import { readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';

export interface FsInfo {
  /** Velociraptor's name for the filesystem type. */
  readonly type: string;
  /** A network, FUSE or automount filesystem: list it with asynchronous calls only. */
  readonly slow: boolean;
}

/** mountinfo type names → Velociraptor's (statfs magic) names. */
const TYPE_NAMES: Record<string, string> = {
  ext3: 'ext2', ext4: 'ext2', overlay: 'overlayfs', nfs4: 'nfs', devtmpfs: 'tmpfs', vfat: 'msdos',
  smb3: 'cifs', ntfs3: 'ntfs', fuseblk: 'fuse',
};

/** statfs f_type magic numbers → names (for devices missing from mountinfo). */
const MAGIC_NAMES: Record<number, string> = {
  0xef53: 'ext2', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs', 0x9fa0: 'proc',
  0x62656572: 'sysfs', 0x6969: 'nfs', 0x794c7630: 'overlayfs', 0x65735546: 'fuse', 0x63677270: 'cgroup2',
  0x27e0eb: 'cgroup', 0x1cd1: 'devpts', 0xff534d42: 'cifs', 0xfe534d42: 'smb2', 0x4d44: 'msdos',
  0x5346544e: 'ntfs', 0x73717368: 'squashfs', 0x9660: 'isofs', 0x2fc12fc1: 'zfs', 0xf2f52010: 'f2fs',
  0x858458f6: 'ramfs', 0x0187: 'autofs', 0x01021997: 'v9fs', 0x6e736673: 'nsfs', 0x64626720: 'debugfs',
};

const SLOW = /^(nfs|nfs4|cifs|smb2|smb3|smbfs|9p|v9fs|afs|ceph|glusterfs|lustre|gpfs|davfs|ncpfs|autofs|fuse(\..*)?|fuseblk|sshfs)$/;

const MAX_AGE_MS = 5000;

interface Table {
  readonly byDev: Map<string, FsInfo>;
  /** Mount points of slow filesystems: stat-ing one of them asks that filesystem. */
  readonly slowPoints: Set<string>;
  readonly at: number;
}

let table: Table | null = null;
const byStatfs = new Map<bigint, FsInfo>();

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

function info(rawType: string): FsInfo {
  return { type: TYPE_NAMES[rawType] ?? (rawType.startsWith('fuse.') ? 'fuse' : rawType), slow: SLOW.test(rawType) };
}

/** The mount table, read again when older than MAX_AGE_MS. */
function mountTable(): Table {
  const now = Date.now();
  if (table && now - table.at < MAX_AGE_MS) return table;
  const byDev = new Map<string, FsInfo>();
  const slowPoints = new Set<string>();
  try {
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const f = line.split(' ');
      const dash = f.indexOf('-', 6);
      if (dash < 0 || f.length < dash + 2) continue;
      const fs = info(unescapeMount(f[dash + 1]!));
      byDev.set(f[2]!, fs);
      if (fs.slow) slowPoints.add(unescapeMount(f[4]!));
    }
  } catch {
    // No /proc: every device is unknown (and listed asynchronously).
  }
  table = { byDev, slowPoints, at: now };
  return table;
}

/** Mount points of network, FUSE and automount filesystems (empty off Linux). */
export function slowMountPoints(): ReadonlySet<string> {
  return process.platform === 'linux' ? mountTable().slowPoints : new Set();
}

/** glibc's major/minor split of st_dev. */
function devKey(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/** What mountinfo says about `dev`, or undefined (not Linux, or not listed). */
export function knownFs(dev: bigint): FsInfo | undefined {
  if (process.platform !== 'linux') return undefined;
  return mountTable().byDev.get(devKey(dev)) ?? byStatfs.get(dev);
}

/**
 * What filesystem `dev` is, asking statfs() on `path` (a directory on it) when mountinfo does
 * not list it. Undefined off Linux, or when statfs fails.
 */
export async function fsInfo(dev: bigint, path: string): Promise<FsInfo | undefined> {
  const known = knownFs(dev);
  if (known || process.platform !== 'linux') return known;
  try {
    const magic = Number((await statfs(path)).type) >>> 0;
    const name = MAGIC_NAMES[magic] ?? `unknown (0x${magic.toString(16)})`;
    const found: FsInfo = { type: name, slow: SLOW.test(name) };
    byStatfs.set(dev, found);
    return found;
  } catch {
    return undefined;
  }
}
