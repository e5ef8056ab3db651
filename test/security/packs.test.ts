// Hostile artifact packs, table-driven: zips with unsafe names, lying headers, bombs, zip64 and
// comment tricks, and YAML built to hurt (alias bombs, deep nesting, language tags, huge numbers,
// names no file can have). Each is imported the way the app does it (importPackSliced, giving the
// event loop back between steps) into a fresh folder next to a sibling folder; each must end with
// a clear refusal of the whole pack or per-entry problems and only the expected files written:
// the tree is listed before and after. A timer runs meanwhile and must have had turns (the loop
// was not held for the import). The files on disk and the app's service get their own tests below.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { deflateSync, strToU8, zipSync } from 'fflate';
import { Repository, loadArtifactFile } from '../../main/artifacts/index.ts';
import { importPackSliced, type ImportResult } from '../../main/artifacts/pack-import.ts';
import { DEFAULT_ZIP_LIMITS } from '../../main/artifacts/pack-zip.ts';
import { MAX_ARTIFACT_BYTES } from '../../main/artifacts/size-limit.ts';
import { AppService } from '../../main/app/service.ts';
import { prng } from '../helpers/prng.ts';
import { craftZip, crc32, endRecord, type CraftEntry } from './zip-craft.ts';

const TMP = mkdtempSync(join(tmpdir(), 'vql-security-packs-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
const builtins = new Repository();
const MiB = 2 ** 20;

const art = (name: string, extra = '') => `name: ${name}\n${extra}sources:\n  - query: SELECT 1 AS One FROM scope()\n`;
const yaml = (path: string | Uint8Array, text: string | Uint8Array): CraftEntry => ({ name: path, data: text });
/** An artifact padded with a description to exactly `bytes` bytes. */
function sized(name: string, bytes: number): string {
  const head = `name: ${name}\ndescription: |\n`;
  const tail = 'sources:\n  - query: SELECT 1 AS One FROM scope()\n';
  const room = bytes - head.length - tail.length;
  const line = '  ' + 'x'.repeat(77) + '\n';
  const body = line.repeat(Math.floor(room / line.length));
  const rest = room - body.length;
  return head + body + (rest > 0 ? '  ' + 'y'.repeat(Math.max(0, rest - 3)) + '\n' : '') + tail;
}
/** Text that deflate cannot shrink much (no compression-ratio alarm): random words. */
function noisy(name: string, bytes: number): string {
  const rnd = prng(7);
  const head = `name: ${name}\ndescription: |\n`;
  const tail = 'sources:\n  - query: SELECT 1 AS One FROM scope()\n';
  let body = '';
  while (head.length + body.length + tail.length < bytes - 80) {
    let line = ' ';
    while (line.length < 70) line += ' ' + Math.floor(rnd() * 36 ** 5).toString(36);
    body += line + '\n';
  }
  body += ' ' + 'z'.repeat(bytes - head.length - body.length - tail.length - 2) + '\n';
  return head + body + tail;
}
/** The same deflated bytes under many names (the content is identical, only the names differ). */
function copies(count: number, text: string, name = (i: number) => `Custom/A${i}.yaml`): CraftEntry[] {
  const data = strToU8(text);
  const raw = deflateSync(data);
  const crc = crc32(data);
  return Array.from({ length: count }, (_, i) => ({ name: name(i), raw, crc, size: data.length }));
}
function laughs(): string {
  let y = 'name: Custom.Laughs\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
  for (let i = 1; i < 10; i++) y += `a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]\n`;
  return y + 'tools: *a9\nsources:\n  - query: SELECT 1 FROM scope()\n';
}

interface PackCase {
  readonly name: string;
  readonly zip: () => Uint8Array;
  /** The whole pack is refused with this message (nothing written, the folder not even made). */
  readonly refused?: RegExp;
  /** Names imported (each written as Name.yaml in the folder, nothing else anywhere). */
  readonly imported?: readonly string[];
  /** Per-entry problems: [entry, message]. */
  readonly problems?: ReadonlyArray<readonly [string | RegExp, RegExp]>;
}

const GOOD = yaml('Custom/Good.yaml', art('Custom.Good'));

const cases: PackCase[] = [
  // Names that would escape the folder: the whole pack is refused.
  ...['../evil.yaml', 'a/../../evil.yaml', '/etc/evil.yaml', 'C:/evil.yaml', 'c:evil.yaml', '..\\evil.yaml', 'Custom\\Evil.yaml', 'evil.yaml\0.txt', '../../outside/readme.txt'].map(
    (bad): PackCase => ({ name: `unsafe entry name ${JSON.stringify(bad)}`, zip: () => craftZip([GOOD, yaml(bad, art('Custom.Evil'))]), refused: /the pack is refused/ }),
  ),
  { name: 'a deep path (300 folders) is only a name: the artifact lands in the folder as Name.yaml', zip: () => craftZip([yaml(`${'d/'.repeat(300)}x.yaml`, art('Custom.Deep'))]), imported: ['Custom.Deep'] },
  { name: 'a 60,000-byte entry name', zip: () => craftZip([yaml(`${'n'.repeat(60_000)}.yaml`, art('Custom.LongPath'))]), imported: ['Custom.LongPath'] },
  { name: 'invalid UTF-8 in an entry name', zip: () => craftZip([yaml(new Uint8Array([0x41, 0xff, 0xfe, 0x2e, 0x79, 0x61, 0x6d, 0x6c]), art('Custom.OddName'))]), imported: ['Custom.OddName'] },
  {
    name: 'the same entry name twice: the first is imported, the second reported',
    zip: () => craftZip([yaml('Custom/A.yaml', art('Custom.Twice')), yaml('Custom/A.yaml', art('Custom.Twice', 'description: second\n'))]),
    imported: ['Custom.Twice'], problems: [['Custom/A.yaml', /Custom\.Twice is also defined by Custom\/A\.yaml: only the first is imported/]],
  },
  { name: 'a directory entry named like YAML is skipped', zip: () => craftZip([{ name: 'evil.yaml/', data: '' }, GOOD]), imported: ['Custom.Good'] },
  {
    name: 'a symbolic-link entry is read as text, never created as a link',
    zip: () => craftZip([{ name: 'Custom/Link.yaml', data: '/etc/passwd', unixMode: 0o120777 }]),
    problems: [['Custom/Link.yaml', /error:/]],
  },
  // Sizes.
  {
    name: 'the report: four 49 MiB artifacts in a 2.8 MB zip are refused from their headers, nothing inflated',
    zip: () => craftZip(Array.from({ length: 4 }, (_, i) => ({ name: `Custom/Big${i}.yaml`, raw: new Uint8Array(700_000), size: 49 * MiB, crc: 0 }))),
    refused: /entry 'Custom\/Big0\.yaml' is more than 1 MiB \(1048576 bytes\), the most an artifact file may be: its zip header declares 49 MiB \(51380224 bytes\)/,
  },
  { name: 'one entry a byte over the limit', zip: () => zipSync({ 'Custom/Over.yaml': strToU8(noisy('Custom.Over', MAX_ARTIFACT_BYTES + 1)) }), refused: /is more than 1 MiB \(1048576 bytes\), the most an artifact file may be/ },
  { name: 'one entry exactly at the limit is imported', zip: () => zipSync({ 'Custom/Edge.yaml': strToU8(sized('Custom.Edge', MAX_ARTIFACT_BYTES)) }), imported: ['Custom.Edge'] },
  {
    name: 'a header that understates the size: the real output is counted',
    zip: () => craftZip([{ name: 'Custom/Liar.yaml', data: sized('Custom.Liar', 2 * MiB), size: 10 }]),
    refused: /entry 'Custom\/Liar\.yaml' inflates to more than 1048576 bytes \(limit: the most an artifact file may be\)/,
  },
  { name: 'a header that understates the size a little', zip: () => craftZip([{ name: 'Custom/Small.yaml', data: art('Custom.Small'), size: 10 }]), problems: [['Custom/Small.yaml', /declares 10 bytes, it holds \d+/]] },
  { name: 'a header that overstates the size', zip: () => craftZip([{ name: 'Custom/Big.yaml', data: art('Custom.Big'), size: 900_000 }]), problems: [['Custom/Big.yaml', /declares 900000 bytes, it holds \d+/]] },
  { name: 'a stored entry whose sizes disagree', zip: () => craftZip([{ name: 'Custom/Stored.yaml', data: art('Custom.Stored'), method: 0, size: 5 }]), problems: [['Custom/Stored.yaml', /declares 5 bytes/]] },
  {
    name: 'twenty artifacts just under the limit: refused once the pack holds 8 MiB of YAML',
    zip: () => craftZip(copies(20, sized('Custom.Near', MAX_ARTIFACT_BYTES - 2048))),
    refused: /entry 'Custom\/A8\.yaml' inflates to more than \d+ bytes \(limit: the rest of the 8 MiB \(8388608 bytes\) a pack's YAML may hold in all\)/,
  },
  { name: 'more entries than the limit', zip: () => craftZip(copies(DEFAULT_ZIP_LIMITS.maxEntries + 1, art('Custom.Many'))), refused: /the zip has 4001 entries, more than the limit of 4000/ },
  { name: 'a zip over 16 MiB (its YAML is fine)', zip: () => craftZip([GOOD, { name: 'tools/big.bin', data: new Uint8Array(17 * MiB), method: 0 }]), refused: /the zip is \d+ bytes, more than the limit of 16777216/ },
  { name: 'a compression-ratio bomb (60 MiB of spaces)', zip: () => zipSync({ 'bomb.yaml': new Uint8Array(60 * MiB).fill(0x20) }), refused: /inflates more than 200 times its compressed size \(a zip bomb\?\)/ },
  { name: 'a zip inside the pack is ignored, not opened', zip: () => craftZip([GOOD, { name: 'inner.zip', data: zipSync({ 'x.yaml': strToU8(art('Custom.Inner')) }), method: 0 }]), imported: ['Custom.Good'] },
  { name: 'a pack with no YAML at all', zip: () => craftZip([{ name: 'README.md', data: '# hi' }, { name: 'tool.exe', data: 'MZ' }]), refused: /the zip holds no \.yaml or \.yml file/ },
  // Format tricks.
  { name: 'an encrypted entry', zip: () => craftZip([{ ...GOOD, flags: 1 }]), refused: /entry 'Custom\/Good\.yaml' is encrypted/ },
  { name: 'a bad checksum: that entry is reported, the others imported', zip: () => craftZip([{ ...yaml('Custom/Crc.yaml', art('Custom.Crc')), crc: 0x12345678 }, GOOD]), imported: ['Custom.Good'], problems: [['Custom/Crc.yaml', /checksum does not match/]] },
  { name: 'an unsupported compression method', zip: () => craftZip([{ name: 'Custom/Bz.yaml', data: art('Custom.Bz'), method: 12 }, GOOD]), imported: ['Custom.Good'], problems: [['Custom/Bz.yaml', /compression method 12 is not supported/]] },
  { name: 'deflate data that is garbage', zip: () => craftZip([{ name: 'Custom/Junk.yaml', raw: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x00]), size: 20, crc: 0 }]), problems: [['Custom/Junk.yaml', /damaged/]] },
  { name: 'a zip cut in half', zip: () => { const z = craftZip([GOOD, yaml('Custom/B.yaml', art('Custom.B'))]); return z.subarray(0, z.length >> 1); }, refused: /not a zip file/ },
  { name: 'YAML text instead of a zip', zip: () => strToU8(art('Custom.NotZip')), refused: /not a zip file/ },
  { name: 'an empty file', zip: () => new Uint8Array(0), refused: /not a zip file/ },
  { name: 'ZIP64 end record (65535 entries)', zip: () => craftZip([GOOD], { count: 0xffff }), refused: /ZIP64 archives are not supported/ },
  {
    name: 'ZIP64 sizes in an entry (0xFFFFFFFF and a zip64 extra field)',
    zip: () => {
      const extra = new Uint8Array(20);
      const v = new DataView(extra.buffer);
      v.setUint16(0, 1, true);
      v.setUint16(2, 16, true);
      v.setBigUint64(4, 5n * 2n ** 32n, true);
      v.setBigUint64(12, 1000n, true);
      return craftZip([{ ...GOOD, size: 0xffffffff, compressedSize: 0xffffffff, extra }]);
    },
    refused: /is more than 1 MiB .* declares 4 GiB/,
  },
  {
    name: 'a fake end record in the comment, pointing past the file',
    zip: () => craftZip([GOOD], { comment: endRecord(1, 46, 0x7fffffff) }),
    refused: /the zip's directory is damaged/,
  },
  {
    name: 'a fake end record in the comment that hides every entry',
    zip: () => craftZip([GOOD], { comment: endRecord(0, 0, 0) }),
    refused: /the zip holds no \.yaml or \.yml file/,
  },
  { name: 'a central directory offset past the end', zip: () => craftZip([GOOD], { cdOffset: 10 * MiB }), refused: /the zip's directory is damaged/ },
  { name: 'a local header offset that points elsewhere', zip: () => craftZip([{ ...GOOD, localOffset: 7 }]), refused: /damaged local header/ },
  { name: 'a compressed size that runs past the end', zip: () => craftZip([{ ...GOOD, compressedSize: 500_000 }]), refused: /runs past the end of the zip/ },
  // YAML built to hurt.
  { name: 'a billion laughs (nested aliases) in 700 bytes', zip: () => zipSync({ 'Custom/Laughs.yaml': strToU8(laughs()) }), problems: [['Custom/Laughs.yaml', /aliases \(\*name\) expand this file to more than \d+ characters.*alias bomb/]] },
  {
    name: 'one anchored 50 KB text aliased 20,000 times',
    zip: () => zipSync({ 'Custom/Perm.yaml': strToU8(`name: Custom.Perm\nauthor: &s ${'A'.repeat(50_000)}\nrequired_permissions: [${Array(20_000).fill('*s').join(', ')}]\nsources:\n  - query: SELECT 1 FROM scope()\n`) }),
    problems: [['Custom/Perm.yaml', /alias bomb/]],
  },
  { name: 'YAML nested 10,000 levels deep', zip: () => zipSync({ 'Custom/Deep.yaml': strToU8(`name: Custom.DeepYaml\ntools: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`) }), problems: [['Custom/Deep.yaml', /nesting exceeded maxDepth/]] },
  { name: 'a !!js/function tag', zip: () => zipSync({ 'Custom/Js.yaml': strToU8(art('Custom.Js', 'author: !!js/function "function () { process.exit(1) }"\n')) }), problems: [['Custom/Js.yaml', /tag !!js\/function is not supported in an artifact/]] },
  { name: 'a !!python/object tag', zip: () => zipSync({ 'Custom/Py.yaml': strToU8(art('Custom.Py', 'author: !!python/object/apply:os.system ["id"]\n')) }), problems: [['Custom/Py.yaml', /tag !!python\/object\/apply:os\.system is not supported/]] },
  { name: 'a number too large for a number (1e999)', zip: () => zipSync({ 'Custom/Num.yaml': strToU8(art('Custom.Num', 'resources:\n  timeout: 1e999\n')) }), problems: [['Custom/Num.yaml', /expected a number, found '1e999'/]] },
  { name: 'an integer of 10,000 digits', zip: () => zipSync({ 'Custom/Digits.yaml': strToU8(art('Custom.Digits', `resources:\n  max_rows: ${'9'.repeat(10_000)}\n`)) }), problems: [['Custom/Digits.yaml', /expected an integer/]] },
  {
    name: 'an artifact name longer than a file name can be',
    zip: () => zipSync({ 'Custom/Long.yaml': strToU8(art(`Custom.${'L'.repeat(300)}`)) }),
    problems: [['Custom/Long.yaml', /the artifact name is 307 characters long .*shorten it/]],
  },
  { name: 'an artifact name of 100,000 characters', zip: () => zipSync({ 'Custom/Huge.yaml': strToU8(art(`Custom.${'H'.repeat(100_000)}`)) }), problems: [['Custom/Huge.yaml', /the artifact name is 100007 characters long/]] },
  { name: 'an artifact name with path separators', zip: () => zipSync({ 'Custom/Sep.yaml': strToU8(art('Custom/../../Evil')) }), problems: [['Custom/Sep.yaml', /invalid artifact name 'Custom\/\.\.\/\.\.\/Evil'/]] },
  { name: 'an artifact named ".."', zip: () => zipSync({ 'Custom/Dots.yaml': strToU8(art('..')) }), problems: [['Custom/Dots.yaml', /invalid artifact name '\.\.'/]] },
  { name: 'an artifact name with a NUL', zip: () => zipSync({ 'Custom/Nul.yaml': strToU8('name: "Custom.A\\0b"\nsources:\n  - query: SELECT 1 FROM scope()\n') }), problems: [['Custom/Nul.yaml', /invalid artifact name/]] },
  { name: 'the name of a built-in artifact', zip: () => zipSync({ 'x.yaml': strToU8(art('Generic.Client.Stats')) }), problems: [['x.yaml', /Generic\.Client\.Stats is a built-in artifact of the workbench and is not replaced/]] },
  { name: 'two YAML documents in one file', zip: () => zipSync({ 'Custom/Two.yaml': strToU8(`${art('Custom.One')}---\n${art('Custom.Two')}`) }), problems: [['Custom/Two.yaml', /one artifact per file/]] },
  { name: 'a YAML list instead of a mapping', zip: () => zipSync({ 'Custom/List.yaml': strToU8('- a\n- b\n') }), problems: [['Custom/List.yaml', /expected a mapping of artifact fields/]] },
  { name: 'Latin-1 text (not UTF-8)', zip: () => craftZip([yaml('Custom/Latin.yaml', new Uint8Array([...strToU8('name: Custom.Caf'), 0xe9, 0x0a]))]), problems: [['Custom/Latin.yaml', /not UTF-8 text/]] },
  { name: 'a UTF-8 byte-order mark is fine', zip: () => craftZip([yaml('Custom/Bom.yaml', new Uint8Array([0xef, 0xbb, 0xbf, ...strToU8(art('Custom.Bom'))]))]), imported: ['Custom.Bom'] },
  { name: 'upper-case .YML', zip: () => craftZip([yaml('CUSTOM/UP.YML', art('Custom.Upper'))]), imported: ['Custom.Upper'] },
  { name: 'thirty thousand statements in one query (a problem per statement, capped)', zip: () => zipSync({ 'Custom/Stmts.yaml': strToU8(`name: Custom.Stmts\nsources:\n  - query: |\n${'      SELECT 1 FROM scope()\n'.repeat(30_000)}`) }), problems: [['Custom/Stmts.yaml', /^error: 29899 more problems in this file are not listed$/]] },
];

/** Every file and folder under `root`, relative, sorted. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      out.push(relative(root, p));
      if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(root);
  return out.sort();
}

test(`at least 40 hostile packs (${cases.length})`, () => assert.ok(cases.length >= 40));

let n = 0;
for (const c of cases) {
  test(`hostile pack: ${c.name}`, async () => {
    const root = join(TMP, `case${n++}`);
    const dir = join(root, 'artifacts');
    mkdirSync(join(root, 'outside'), { recursive: true });
    writeFileSync(join(root, 'outside', 'keep.txt'), 'untouched');
    const before = tree(root);
    const zip = c.zip();
    let turns = 0;
    let ticking = true;
    const tick = () => {
      if (!ticking) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    let r: ImportResult;
    try {
      r = await importPackSliced(zip, { dir, lookup: (x) => builtins.get(x) }, 'hostile.zip', 0);
    } finally {
      ticking = false;
    }
    const show = JSON.stringify(r.problems).slice(0, 2000);
    if (c.refused) {
      assert.deepEqual(r.imported, [], show);
      assert.equal(r.problems.length, 1, show);
      assert.equal(r.problems[0]!.file, 'hostile.zip');
      assert.match(r.problems[0]!.message, c.refused);
      assert.deepEqual(tree(root), before, 'nothing may be written for a refused pack');
      return;
    }
    assert.deepEqual(r.imported.map((a) => a.name), c.imported ?? [], show);
    for (const [file, message] of c.problems ?? []) {
      assert.ok(r.problems.some((p) => (typeof file === 'string' ? p.file === file : file.test(p.file)) && message.test(p.message)), `expected ${file}: ${message} in ${show}`);
    }
    if (!c.problems?.length) assert.deepEqual(r.problems, [], show);
    const written = (c.imported ?? []).map((name) => join('artifacts', `${name}.yaml`));
    const expected = [...before, ...(c.imported?.length ? ['artifacts'] : []), ...written].sort();
    const after = tree(root).filter((p) => !(p === 'artifacts' && !c.imported?.length && readdirSync(dir).length === 0));
    assert.deepEqual(after, expected, 'only Name.yaml files of the imported artifacts, in the folder');
    for (const name of c.imported ?? []) assert.ok(loadArtifactFile(join(dir, `${name}.yaml`)).loaded, `${name} loads back`);
    // The import gave the event loop back (sliced, one step at a time) at least once.
    assert.ok(turns > 0, 'the event loop had no turn during the import');
  });
}

test('a huge file already in a folder is skipped from its size (never read), with its name, size and the limit; the others load', () => {
  const dir = join(TMP, 'folder');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Custom.Fine.yaml'), art('Custom.Fine'));
  // A sparse 2 GiB file: reading it whole would fail (no string that long) and take seconds.
  const huge = join(dir, 'Custom.Huge.yaml');
  writeFileSync(huge, '');
  truncateSync(huge, 2 * 2 ** 30);
  const repo = new Repository({ builtinDir: null, definitions: [dir] });
  assert.deepEqual(repo.names(), ['Custom.Fine']);
  assert.deepEqual(repo.problems.map((p) => [p.file, p.line, p.column, p.severity]), [[huge, 1, 1, 'error']]);
  assert.match(repo.problems[0]!.message, /^the file is 2 GiB \(2147483648 bytes\), more than the 1 MiB \(1048576 bytes\) an artifact definition may be .*: it was not loaded$/);
  assert.match(loadArtifactFile(huge).problems[0]!.message, /the file is 2 GiB/);
});

test('the app service: packs:import is asynchronous and refuses the report\'s pack; artifacts:save refuses an oversized artifact', async () => {
  const dir = join(TMP, 'service');
  const s = new AppService({ userArtifacts: dir, push: () => {}, isolation: 'inline' });
  const zip = craftZip(Array.from({ length: 4 }, (_, i) => ({ name: `Custom/Big${i}.yaml`, raw: new Uint8Array(700_000), size: 49 * MiB, crc: 0 })));
  const pending = s.invoke('packs:import', Buffer.from(zip).toString('base64'));
  const r = await pending;
  assert.ok(r.ok);
  assert.deepEqual(r.value.imported, []);
  assert.match(r.value.problems[0]!.message, /is more than 1 MiB .* declares 49 MiB/);
  // 600,000 characters (under the 1 MiB of text a request may carry), 1.2 MB of UTF-8.
  const accented = art('Custom.TooBig', `description: ${'é'.repeat(600_000)}\n`);
  const big = await s.invoke('artifacts:save', accented);
  assert.ok(!big.ok);
  assert.equal(big.error.code, 'TooLarge');
  assert.match(big.error.message, /^the artifact was not saved: the file is 1\.14 MiB \(\d+ bytes\), more than the 1 MiB \(1048576 bytes\) an artifact definition may be/);
  assert.deepEqual(readdirSync(dir), []);
  const fine = await s.invoke('artifacts:save', sized('Custom.JustFits', 1_000_000));
  assert.ok(fine.ok, JSON.stringify(fine));
  assert.deepEqual(readdirSync(dir), ['Custom.JustFits.yaml']);
  s.cancelAll();
});
