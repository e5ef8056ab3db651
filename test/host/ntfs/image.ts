/**
 * Builds the NTFS test volumes: an image made by ntfs-3g's mkntfs and filled through an
 * ntfs-3g (FUSE) mount, so every structure (indexes, runlists, compression, sparse runs, DOS
 * names, alternate streams, hard links) is laid out by a real NTFS driver. Ground truth comes
 * from ntfs-3g's own readers (ntfsls, ntfscat, ntfsinfo), which do not go through our code.
 *
 * `ntfsSupport()` says why images cannot be built here (no mkntfs, no FUSE), for a skip notice.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, openSync, closeSync, writeSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function tool(name: string): string | null {
  for (const d of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) if (existsSync(join(d, name))) return join(d, name);
  return null;
}

let support: string | null | undefined;

/** Null when test volumes can be built here, else why not. */
export function ntfsSupport(tmp: string): string | null {
  if (support !== undefined) return support;
  for (const t of ['mkntfs', 'ntfs-3g', 'ntfsls', 'ntfscat', 'ntfsinfo']) {
    if (!tool(t)) return (support = `${t} is not installed (apt-get install -y ntfs-3g)`);
  }
  if (!existsSync('/dev/fuse')) return (support = 'no /dev/fuse: the ntfs-3g mount that fills the test volume needs FUSE');
  const img = join(tmp, 'probe.img');
  const mnt = join(tmp, 'probe.mnt');
  try {
    mkdirSync(mnt, { recursive: true });
    makeVolume(img, 8);
    const r = spawnSync(tool('ntfs-3g')!, [img, mnt], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) return (support = `ntfs-3g cannot mount here (${(r.stderr || r.error?.message || '').trim().split('\n')[0]})`);
    unmount(mnt);
    unlinkSync(img);
    return (support = null);
  } catch (e) {
    return (support = `ntfs-3g cannot make a test volume here (${(e as Error).message.split('\n')[0]})`);
  }
}

function unmount(mnt: string): void {
  const r = spawnSync('umount', [mnt], { encoding: 'utf8' });
  if (r.status !== 0) spawnSync('fusermount', ['-u', mnt]);
  try {
    rmdirSync(mnt);
  } catch {
    // left for the temp folder's removal
  }
}

/** An empty NTFS volume: 512-byte sectors, 4 KiB clusters (compression needs <= 4 KiB). */
export function makeVolume(image: string, sizeMiB: number, label = 'Test', sectorSize: 512 | 4096 = 512): void {
  writeFileSync(image, '');
  execFileSync('truncate', ['-s', `${sizeMiB}M`, image]);
  execFileSync(tool('mkntfs')!, ['-F', '-q', '-Q', '-s', String(sectorSize), '-c', '4096', '-L', label, image], { stdio: 'ignore' });
}

/** Runs `fn` with the volume mounted (alternate streams as `file:stream`). */
export function withMount(image: string, fn: (mnt: string) => void): void {
  const mnt = `${image}.mnt`;
  mkdirSync(mnt, { recursive: true });
  execFileSync(tool('ntfs-3g')!, ['-o', 'streams_interface=windows', image, mnt], { stdio: 'ignore', timeout: 30_000 });
  try {
    fn(mnt);
  } finally {
    unmount(mnt);
  }
}

/** Sets an ntfs-3g extended attribute (python's os.setxattr: no setfattr here); false when it cannot. */
function setXattr(path: string, name: string, value: Buffer): boolean {
  const r = spawnSync('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]))', path, name, value.toString('hex')], { encoding: 'utf8' });
  return r.status === 0;
}

/** Bytes that do not compress (a simple LCG). */
export function noise(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export interface TestVolume {
  readonly image: string;
  /** Whether the compressed folder and the DOS name could be made (python3 setxattr). */
  readonly hasXattrFeatures: boolean;
}

export const MANY = 200;
export const BIG_CHUNK = 64 * 1024;
export const BIG_CHUNKS = 24;
/** The size of the files that fill the volume before the big file is written. */
const FILLER = 128 * 1024;
export const SPARSE_AT = 3 * 1024 * 1024;
/** Hard links made to links/orig.txt. */
export const LINKS = 40;
export const LONG_NAME = 'Long File Name Here.txt';
export const UNICODE_DIR = 'Ünïcødé 目录';
export const UNICODE_FILE = 'файл ñ 文件.txt';

/**
 * The test volume: nested folders, a folder of MANY files (an $INDEX_ALLOCATION), a large file
 * written in turns with another (fragmented runs), a sparse file, a compressed file, unicode
 * names, a long name with a DOS 8.3 name, an alternate stream, hard links (enough for one file to
 * need an $ATTRIBUTE_LIST) and a deleted file.
 */
export function buildTestVolume(dir: string): TestVolume {
  const image = join(dir, 'vol.dd');
  makeVolume(image, 32);
  let hasXattrFeatures = false;
  withMount(image, (m) => {
    const put = (p: string, content: string | Uint8Array) => {
      mkdirSync(dirname(join(m, p)), { recursive: true });
      writeFileSync(join(m, p), content);
    };
    put('a/b/c/deep.txt', 'deep inside\n');
    put('a/top.txt', 'top of a\n');
    for (let i = 0; i < MANY; i++) put(`many/file-${String(i).padStart(3, '0')}.txt`, `content ${i}\n`.repeat(i % 7 + 1));
    // Fill the volume, free every other filler, then write the big file: it can only go in
    // the holes, so its runlist has many runs.
    const filler = Buffer.alloc(FILLER, 0x41);
    let n = 0;
    for (;; n++) {
      try {
        put(`fill/f${n}`, filler);
      } catch {
        break;
      }
    }
    // (ntfs-3g lays the fillers out in two interleaved series: free one in two of each.)
    for (let i = 0; i < n; i++) if (i % 4 < 2) unlinkSync(join(m, `fill/f${i}`));
    const big = openSync(join(m, 'big.bin'), 'w');
    for (let i = 0; i < BIG_CHUNKS; i++) writeSync(big, noise(BIG_CHUNK, i + 1));
    closeSync(big);
    const sparse = openSync(join(m, 'sparse.bin'), 'w');
    writeSync(sparse, Buffer.from('start'), 0, 5, 0);
    writeSync(sparse, Buffer.from('the end'), 0, 7, SPARSE_AT);
    closeSync(sparse);
    put(`${UNICODE_DIR}/${UNICODE_FILE}`, 'unicode ✓\n');
    put(LONG_NAME, 'a long name\n');
    put('ads.txt', 'main stream\n');
    writeFileSync(join(m, 'ads.txt:secret'), 'hidden stream data\n');
    linkSync(join(m, 'a/b/c/deep.txt'), join(m, 'hardlink.txt'));
    // Enough names that they overflow the record: an $ATTRIBUTE_LIST and extension records.
    put('links/orig.txt', 'one file, many names\n');
    for (let i = 1; i <= LINKS; i++) linkSync(join(m, 'links/orig.txt'), join(m, `links/another-name-for-the-file-${i}.txt`));
    put('deleted.txt', 'soon gone\n');
    unlinkSync(join(m, 'deleted.txt'));
    mkdirSync(join(m, 'comp'));
    const dos = setXattr(join(m, LONG_NAME), 'system.ntfs_dos_name', Buffer.from('LONGFI~1.TXT'));
    const comp = setXattr(join(m, 'comp'), 'system.ntfs_attrib_be', Buffer.from([0, 0, 0x08, 0x10]));
    hasXattrFeatures = dos && comp;
    // Compressible text then noise: units stored compressed and units stored whole.
    put('comp/packed.txt', Buffer.concat([Buffer.from('compress me please. '.repeat(20000)), noise(100_000, 7), Buffer.from('tail '.repeat(3000))]));
  });
  return { image, hasXattrFeatures };
}

/** ntfs-3g's listing of a folder: names (folders end in /), `.` and `..` left out. */
export function ntfsls(image: string, path: string): string[] {
  const out = execFileSync(tool('ntfsls')!, ['-a', '-s', '-F', '-p', path, image], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l !== '' && l !== './' && l !== '../');
}

/** ntfs-3g's content of a file (or of its stream `stream`). */
export function ntfscat(image: string, path: string, stream?: string): Buffer {
  const args = stream ? ['-n', stream, image, path] : [image, path];
  return execFileSync(tool('ntfscat')!, args, { maxBuffer: 1 << 28 });
}

/** ntfs-3g's MFT entry number of a path. */
export function ntfsInode(image: string, path: string): number {
  const out = execFileSync(tool('ntfsinfo')!, ['-F', path, image], { encoding: 'utf8' });
  const m = /Dumping Inode (\d+)/.exec(out);
  if (!m) throw new Error(`ntfsinfo said nothing of ${path}`);
  return Number(m[1]);
}
