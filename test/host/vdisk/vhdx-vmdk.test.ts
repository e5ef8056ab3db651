// Hyper-V (VHDX) and VMware (VMDK) images written by qemu-img (not ours), read through the
// `vhdx` and `vmdk` accessors and compared byte for byte with what `qemu-img convert -O raw`
// gives back: dynamic and fixed VHDX with 1 MiB to 32 MiB blocks; monolithic sparse,
// stream-optimized (deflated grains, grain directory at the end), flat and split VMDKs. Then
// what is refused or damaged: a snapshot, a missing extent, a cut stream, a file of another kind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHostRegistry } from '../../../main/host/index.ts';
import { collect, toJSON } from '../../../main/vql/index.ts';

const HAVE = spawnSync('qemu-img', ['--version']).status === 0;
const SKIP = HAVE ? false : 'qemu-img is not installed (apt-get install qemu-utils): the VHDX and VMDK suites skip';
let dir = '';
let raw = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vql-vdisk-'));
  raw = join(dir, 'disk.raw');
  // 9 MiB + 3 sectors: data, holes (never allocated) and compressible stretches, across blocks and grains.
  const parts = [randomBytes(700_000), Buffer.alloc(3 * 1024 * 1024), Buffer.from('text '.repeat(400_000)), randomBytes(1_000_000), Buffer.alloc(2 * 1024 * 1024)];
  const media = Buffer.concat(parts);
  writeFileSync(raw, Buffer.concat([media, Buffer.alloc(9 * 1024 * 1024 + 1536 - media.length)]));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function convert(format: 'vhdx' | 'vmdk', name: string, opts: string[] = []): string {
  const out = join(dir, name);
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', format, ...(opts.length ? ['-o', opts.join(',')] : []), raw, out], { stdio: 'pipe' });
  return out;
}

async function query(text: string, vars: Record<string, unknown>) {
  const logs: string[] = [];
  const rows = await collect(text, { registry: createHostRegistry(), vars, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, unknown>>, logs };
}

/** Size and SHA-256 of the disk the accessor reads, and any errors. */
async function readDisk(accessor: string, file: string): Promise<{ Size?: unknown; H?: unknown; errors: string[] }> {
  const { rows, logs } = await query(`SELECT stat(accessor=A, filename=pathspec(DelegatePath=F)).Size AS Size, hash(accessor=A, path=pathspec(DelegatePath=F)).SHA256 AS H FROM scope()`, { A: accessor, F: file });
  return { ...(rows[0] ?? {}), errors: logs.filter((l) => l.startsWith('error') || l.startsWith('warn')) };
}

/** What qemu-img reads from `file`. */
function qemuRaw(file: string): { Size: number; H: string } {
  const out = `${file}.back.raw`;
  execFileSync('qemu-img', ['convert', '-O', 'raw', file, out], { stdio: 'pipe' });
  const b = readFileSync(out);
  return { Size: b.length, H: createHash('sha256').update(b).digest('hex') };
}

const CASES: Array<[string, 'vhdx' | 'vmdk', string[]]> = [
  ['dynamic VHDX (32 MiB blocks, the default)', 'vhdx', []],
  ['dynamic VHDX with 1 MiB blocks', 'vhdx', ['block_size=1M']],
  ['fixed VHDX', 'vhdx', ['subformat=fixed']],
  ['monolithic sparse VMDK', 'vmdk', []],
  ['stream-optimized VMDK', 'vmdk', ['subformat=streamOptimized']],
  ['monolithic flat VMDK (descriptor and -flat file)', 'vmdk', ['subformat=monolithicFlat']],
  ['split sparse VMDK (2 GB extents)', 'vmdk', ['subformat=twoGbMaxExtentSparse']],
  ['split flat VMDK', 'vmdk', ['subformat=twoGbMaxExtentFlat']],
];

CASES.forEach(([name, format, opts], i) => {
  test(`${format} accessor: a ${name} reads as qemu-img reads it`, { skip: SKIP }, async () => {
    const file = convert(format, `case${i}.${format}`, opts);
    const got = await readDisk(format, file);
    assert.deepEqual(got.errors, []);
    const expected = qemuRaw(file);
    assert.deepEqual({ Size: got.Size, H: got.H }, expected);
    assert.equal(expected.H, createHash('sha256').update(readFileSync(raw)).digest('hex'), 'qemu-img gives back the raw disk');
  });
});

test('vmdk and vhdx: a snapshot, a missing extent, a cut stream and a file of another kind are clear errors', { skip: SKIP }, async () => {
  const base = convert('vmdk', 'base.vmdk');
  const snap = join(dir, 'snap.vmdk');
  execFileSync('qemu-img', ['create', '-f', 'vmdk', '-b', base, '-F', 'vmdk', snap], { stdio: 'pipe' });
  assert.match((await readDisk('vmdk', snap)).errors.join('\n'), /snap\.vmdk: a snapshot \(its descriptor names a parent disk\)/);

  const split = convert('vmdk', 'split.vmdk', ['subformat=twoGbMaxExtentSparse']);
  unlinkSync(join(dir, 'split-s001.vmdk'));
  assert.match((await readDisk('vmdk', split)).errors.join('\n'), /split\.vmdk: the extent split-s001\.vmdk it names is not next to it/);

  const stream = convert('vmdk', 'stream.vmdk', ['subformat=streamOptimized']);
  truncateSync(stream, 200_000);
  // qemu-img writes the grain directory's place in the header too: the cut shows at the first grain past it.
  assert.match((await readDisk('vmdk', stream)).errors.join('\n'), /stream\.vmdk: (grain \d+ \(disk bytes \d+–\d+\) does not inflate|grain table \d+ is truncated|its grain directory)/);

  assert.match((await readDisk('vhdx', raw)).errors.join('\n'), /disk\.raw: not a VHDX file/);
  assert.match((await readDisk('vmdk', raw)).errors.join('\n'), /disk\.raw: not a VMDK/);
});
