// Expert Witness (E01) images written by libewf's ewfacquire (not ours), read through the `ewf`
// accessor and compared byte for byte with the raw media they were made from and with what
// libewf's ewfexport gives back: several segments, every compression level, chunk sizes from
// 8 KiB to 1 MiB; then damage (a missing segment, a corrupt chunk, an Ex01, a file that is not an
// image), each a clear error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHostRegistry } from '../../../main/host/index.ts';
import { collect, toJSON } from '../../../main/vql/index.ts';
import { segmentName } from '../../../main/host/vdisk/ewf.ts';

const HAVE = spawnSync('ewfacquire', ['-V']).status === 0;
const SKIP = HAVE ? false : 'ewfacquire is not installed (apt-get install ewf-tools): the E01 suites skip';
let dir = '';
let raw = '';
let media: Buffer;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vql-ewf-'));
  raw = join(dir, 'media.raw');
  // Random (incompressible) and zero (compressible) stretches, a whole number of sectors.
  media = Buffer.concat([randomBytes(1_500_000), Buffer.alloc(1_200_000), randomBytes(700_000), Buffer.alloc(4096 * 7, 0x5a)]);
  media = media.subarray(0, Math.floor(media.length / 512) * 512);
  writeFileSync(raw, media);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** ewfacquire `raw` into `<name>.E01`... with the given options; the first segment's path. */
function acquire(name: string, ...opts: string[]): string {
  execFileSync('ewfacquire', ['-u', '-q', '-t', join(dir, name), ...opts, raw], { stdio: 'pipe' });
  return existsSync(join(dir, `${name}.s01`)) ? join(dir, `${name}.s01`) : join(dir, `${name}.E01`);
}

async function query(text: string, vars: Record<string, unknown>) {
  const logs: string[] = [];
  const rows = await collect(text, { registry: createHostRegistry(), vars, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, unknown>>, logs };
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('segment names follow EWF\'s: E01..E99, then EAA..EZZ, FAA...', () => {
  assert.equal(segmentName('/c/disk.E01', 0), '/c/disk.E01');
  assert.equal(segmentName('/c/disk.E01', 1), '/c/disk.E02');
  assert.equal(segmentName('/c/disk.E01', 98), '/c/disk.E99');
  assert.equal(segmentName('/c/disk.E01', 99), '/c/disk.EAA');
  assert.equal(segmentName('/c/disk.E01', 100), '/c/disk.EAB');
  assert.equal(segmentName('/c/disk.E01', 99 + 26 * 26), '/c/disk.FAA');
  assert.equal(segmentName('/c/x.s01', 99), '/c/x.saa');
  assert.throws(() => segmentName('/c/disk.img', 1), /not the first segment of an EWF image/);
});

for (const [name, opts] of [
  ['fast, 3 segments', ['-c', 'fast', '-S', '1MiB']],
  ['no compression, 4 segments', ['-c', 'none', '-S', '1MiB']],
  ['best, 8 KiB chunks', ['-c', 'best', '-b', '16']],
  ['empty-block, 1 MiB chunks', ['-c', 'empty-block', '-b', '2048']],
  ['EnCase 5 format', ['-f', 'encase5', '-c', 'fast', '-S', '1MiB']],
  ['FTK format', ['-f', 'ftk', '-c', 'fast']],
  ['EnCase 2 format', ['-f', 'encase2', '-c', 'fast']],
  ['SMART format (.s01: chunks inside the table sections)', ['-f', 'smart', '-c', 'fast', '-S', '1MiB']],
] as const) {
  test(`ewf accessor: ${name}: the media reads as the raw image and as ewfexport gives it`, { skip: SKIP }, async () => {
    const first = acquire(name.replace(/\W+/g, '-'), ...opts);
    const segments = readdirSync(dir).filter((f) => f.startsWith(name.replace(/\W+/g, '-') + '.') && /\.[Ees]\w\w$/.test(f));
    const spec = { DelegateAccessor: 'file', DelegatePath: first };
    const { rows, logs } = await query(`SELECT Size, Data.Segments AS Segments, hash(accessor='ewf', path=pathspec(parse=S)).SHA256 AS H FROM stat(accessor='ewf', filename=pathspec(parse=S))`, { S: JSON.stringify(spec) });
    assert.deepEqual(logs.filter((l) => l.startsWith('error')), []);
    assert.deepEqual(rows, [{ Size: media.length, Segments: segments.length, H: sha256(media) }]);
    if (name.startsWith('fast')) {
      assert.ok(segments.length >= 3, segments.join());
      execFileSync('ewfexport', ['-u', '-q', '-f', 'raw', '-t', join(dir, 'exported'), first], { stdio: 'pipe' });
      assert.equal(sha256(readFileSync(join(dir, 'exported.raw'))), rows[0]!.H);
      // Reads across chunk and segment boundaries.
      for (const [offset, length] of [[32768 - 10, 20], [1_000_000, 300_000], [media.length - 5, 100], [0, 1]]) {
        const got = await query(`SELECT hash(accessor='data', path=read_file(accessor='ewf', filename=pathspec(parse=S), offset=O, length=L)).SHA256 AS H FROM scope()`, { S: JSON.stringify(spec), O: offset, L: length });
        assert.equal(got.rows[0]!.H, sha256(media.subarray(offset, offset + length)), `at ${offset}`);
      }
    }
  });
}

test('ewf accessor: a missing segment, a corrupt chunk, an Ex01 and a file that is not an image are each one clear error', { skip: SKIP }, async () => {
  const first = acquire('damaged', '-c', 'fast', '-S', '1MiB');
  const read = (path: string) => query(`SELECT hash(accessor='ewf', path=pathspec(DelegatePath=P)).SHA256 AS H FROM scope()`, { P: path });

  const cut = acquire('cut', '-c', 'fast', '-S', '1MiB');
  renameSync(cut.replace(/01$/, '02'), join(dir, 'moved-away.E02'));
  const a = await read(cut);
  assert.match(a.logs.join('\n'), /cut\.E01: \d+ of its \d+ chunks were found: a segment file is missing or damaged \(1 segment read\)/);

  // The first chunk's bytes overwritten (random data: stored uncompressed, with its Adler-32).
  const bytes = readFileSync(first);
  const at = bytes.indexOf(Buffer.from('sectors\0'));
  assert.ok(at > 0);
  bytes.fill(0x41, at + 76 + 100, at + 76 + 400);
  const corrupt = join(dir, 'corrupt.E01');
  writeFileSync(corrupt, bytes);
  for (const f of readdirSync(dir).filter((f) => /^damaged\.E0[2-9]$/.test(f))) writeFileSync(join(dir, f.replace('damaged', 'corrupt')), readFileSync(join(dir, f)));
  const b = await read(corrupt);
  assert.match(b.logs.join('\n'), /corrupt\.E01: chunk 0 \(media bytes 0–32767\): its checksum does not match its data/);

  // A compressed chunk's bytes overwritten: media of zeros compresses.
  const zeros = join(dir, 'zeros.raw');
  writeFileSync(zeros, Buffer.alloc(256 * 1024));
  execFileSync('ewfacquire', ['-u', '-q', '-c', 'best', '-t', join(dir, 'zeros'), zeros], { stdio: 'pipe' });
  const z = readFileSync(join(dir, 'zeros.E01'));
  const zAt = z.indexOf(Buffer.from('sectors\0'));
  z.fill(0x41, zAt + 76 + 2, zAt + 76 + 40);
  writeFileSync(join(dir, 'zeros.E01'), z);
  const zr = await read(join(dir, 'zeros.E01'));
  assert.match(zr.logs.join('\n'), /zeros\.E01: chunk 0 \(media bytes 0–32767\) does not inflate: /);

  const text = join(dir, 'notes.E01');
  writeFileSync(text, 'not an image at all, just notes');
  const c = await read(text);
  assert.match(c.logs.join('\n'), /notes\.E01: not an EWF segment \(the signature EVF 09 0D 0A FF 00 is missing\)/);

  const v2 = spawnSync('ewfacquire', ['-u', '-q', '-f', 'encase7-v2', '-t', join(dir, 'v2'), raw]);
  const ex01 = join(dir, 'v2.Ex01');
  if (v2.status === 0 && existsSync(ex01)) {
    const d = await read(ex01);
    assert.match(d.logs.join('\n'), /an EWF2 \(Ex01\) image: only E01 \(EWF1\) images are read/);
  }
});
