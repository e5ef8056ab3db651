import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, symlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandBraces, GlobMachine, compileSegments } from '../../../main/host/files/glob-pattern.ts';
import { query } from './query-runner.ts';

let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vql-glob-'));
  await mkdir(join(dir, 'a', 'b', 'c'), { recursive: true });
  await mkdir(join(dir, 'Docs'));
  await writeFile(join(dir, 'a', 'x.txt'), 'hello\n');
  await writeFile(join(dir, 'a', 'b', 'Y.TXT'), 'world\n');
  await writeFile(join(dir, 'a', 'b', 'c', 'z.csv'), 'A,B\n1,2\n');
  await writeFile(join(dir, 'Docs', 'f1.log'), '');
  await writeFile(join(dir, 'Docs', 'f2.log'), '');
  await writeFile(join(dir, 'Docs', 'g1.log'), '');
  await symlink(dir, join(dir, 'a', 'loop'));
  await symlink(join(dir, 'a', 'b'), join(dir, 'blink'));
  await symlink(join(dir, 'missing'), join(dir, 'dangling'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function paths(globArgs: string, where = ''): Promise<string[]> {
  const { rows, logs } = await query(`SELECT OSPath.String AS P FROM glob(${globArgs}) ${where}`, { D: dir });
  assert.deepEqual(logs.filter((l) => l.startsWith('error')), []);
  return rows.map((r) => String(r.P).slice(dir.length + 1));
}

test('brace expansion and the glob state machine', () => {
  assert.deepEqual(expandBraces('/x/{a,b{c,d}}/e'), ['/x/a/e', '/x/bc/e', '/x/bd/e']);
  assert.deepEqual(expandBraces('/x/{a}'), ['/x/{a}']);
  const m = new GlobMachine([compileSegments(['**', '*.txt'])]);
  const s0 = m.start();
  assert.equal(m.step(s0, 'X.TXT').accept, true);
  assert.equal(m.step(s0, 'sub').accept, false);
  assert.equal(m.live(m.step(s0, 'sub').next), true);
});

test('glob: *, ?, classes, braces; case-insensitive; directory entries before descent', async () => {
  assert.deepEqual(await paths(`globs=D + '/Docs/*.log'`), ['Docs/f1.log', 'Docs/f2.log', 'Docs/g1.log']);
  assert.deepEqual(await paths(`globs=D + '/docs/f?.LOG'`), ['Docs/f1.log', 'Docs/f2.log']);
  assert.deepEqual(await paths(`globs=D + '/Docs/[!f]*'`), ['Docs/g1.log']);
  assert.deepEqual(await paths(`globs=D + '/Docs/[fg]1.log'`), ['Docs/f1.log', 'Docs/g1.log']);
  assert.deepEqual(await paths(`globs=D + '/{Docs/g*,a/*.txt}'`), ['Docs/g1.log', 'a/x.txt']);
  assert.deepEqual(await paths(`globs=[D + '/Docs/f1.log', D + '/Docs/f*.log']`), ['Docs/f1.log', 'Docs/f2.log']);
});

test('glob: ** recursion, depth limits, root=, symlinks and loops', async () => {
  assert.deepEqual(await paths(`globs=D + '/**/*.txt'`), ['a/x.txt', 'a/b/Y.TXT', 'blink/Y.TXT']);
  assert.deepEqual(await paths(`globs=D + '/**/*.txt', nosymlink=TRUE`), ['a/x.txt', 'a/b/Y.TXT']);
  assert.deepEqual(await paths(`globs='**1/*.csv', root=D + '/a'`), []);
  assert.deepEqual(await paths(`globs='**2/*.csv', root=D + '/a'`), ['a/b/c/z.csv']);
  const all = await paths(`globs=D + '/a/**'`);
  assert.ok(!all.includes('a'), 'a trailing ** gives what is below, not the directory itself');
  assert.ok(all.includes('a/loop'), 'the loop link itself is listed');
  assert.ok(!all.some((p) => p.startsWith('a/loop/')), 'but a link back to an ancestor is not entered');
  assert.deepEqual(await paths(`globs='*', root=D`, `WHERE IsLink`), ['blink', 'dangling']);
  assert.deepEqual(await paths(`globs=D + '/nothere/*'`), []);
  // Text after ** in the same component is a name pattern at any depth (C:/Users/*/**.pst).
  assert.deepEqual(await paths(`globs=D + '/**.txt', nosymlink=TRUE`), ['a/x.txt', 'a/b/Y.TXT']);
  assert.deepEqual(await paths(`globs=D + '/a/**1.txt', nosymlink=TRUE`), ['a/x.txt', 'a/b/Y.TXT']);
  assert.deepEqual(await paths(`globs=D + '/a/**0.txt', nosymlink=TRUE`), ['a/x.txt']);
});

test('glob rows: FileInfo columns, Mode, times, recursion_callback', async () => {
  const { rows } = await query(
    `SELECT Name, Size, IsDir, IsLink, Mode.String AS M, FullPath, ModTime = Mtime AS SameTime, Mtime.Unix > 0 AS HasTime FROM glob(globs='*', root=D + '/a')`,
    { D: dir },
  );
  assert.deepEqual(rows.map((r) => r.Name), ['b', 'loop', 'x.txt']);
  const x = rows[2]!;
  assert.equal(x.Size, 6);
  assert.equal(x.IsDir, false);
  assert.match(String(x.M), /^-rw/);
  assert.equal(x.FullPath, join(dir, 'a', 'x.txt'));
  assert.equal(x.HasTime, true);
  assert.match(String(rows[0]!.M), /^drwx/);
  assert.match(String(rows[1]!.M), /^L/);
  const { rows: cols } = await query(`SELECT * FROM glob(globs='x.txt', root=D + '/a')`, { D: dir });
  // Velociraptor's GlobHit columns; FullPath, ModTime and Sys are members, not columns.
  assert.deepEqual(Object.keys(cols[0]!), ['Name', 'OSPath', 'Mtime', 'Atime', 'Ctime', 'Btime', 'Size', 'Mode', 'IsDir', 'IsLink', 'Data', 'Globs']);
  assert.deepEqual(cols[0]!.Globs, ['x.txt']);
  assert.deepEqual(await paths(`globs=D + '/**', recursion_callback='x=>NOT x.Name =~ "^b$"'`, `WHERE NOT OSPath.String =~ 'Docs|dangling|/a/loop'`), ['a', 'blink', 'a/b', 'a/x.txt', 'blink/Y.TXT', 'blink/c', 'blink/c/z.csv']);
});

test('stat(): function and plugin', async () => {
  const { rows } = await query(
    `SELECT stat(filename=D + '/a/x.txt').Size AS S, stat(filename=D + '/nope') AS N FROM scope()`,
    { D: dir },
  );
  assert.deepEqual(rows, [{ S: 6, N: null }]);
  const { rows: p } = await query(`SELECT Name, IsLink FROM stat(filename=[D + '/a/x.txt', D + '/nope', D + '/blink'])`, { D: dir });
  assert.deepEqual(p, [{ Name: 'x.txt', IsLink: false }, { Name: 'blink', IsLink: true }]);
});

test('component matching: *, ?, classes, case-insensitive, and linear on many stars', async () => {
  const { componentMatcher } = await import('../../../main/host/files/glob-pattern.ts');
  const cases: Array<[string, string, boolean]> = [
    ['*.txt', 'A.TXT', true], ['*.txt', 'a.txt.bak', false], ['a?c', 'abc', true], ['a?c', 'ac', false],
    ['[a-c]*', 'Beta', true], ['[!a-c]*', 'beta', false], ['[!a-c]*', 'delta', true], ['*', '', true],
    ['a*b*c', 'aXXbYYc', true], ['a*b*c', 'aXXbYY', false], ['**x', 'abx', true], ['*a*', 'bbb', false],
    ['[z-a]x', '[z-a]x', true], ['[', '[', true], ['?', '😀', true], ['ß*', 'SSx', false],
  ];
  for (const [pattern, name, expected] of cases) assert.equal(componentMatcher(pattern)(name), expected, `${pattern} ~ ${name}`);
  // As a backtracking regex (`^.*a.*a.*a.*a.*a.*a.*b$`) this did not finish in 2 minutes; steps are bounded by n*m here.
  const name = 'a'.repeat(5000);
  assert.equal(componentMatcher('*a*a*a*a*a*a*b')(name), false);
  assert.equal(componentMatcher('*a*a*a*a*a*a*')(name), true);
});

test('glob rows carry Sys: the stat record, as this machine reports it', { skip: process.platform === 'win32' && 'no stat record on Windows' }, async () => {
  const { statSync } = await import('node:fs');
  const file = join(dir, 'a', 'x.txt');
  const st = statSync(file, { bigint: true });
  const { rows } = await query(
    `SELECT Sys.Uid AS Uid, Sys.Gid AS Gid, Sys.Ino AS Ino, Sys.Mode AS Mode, Sys.Nlink AS Nlink, Sys.Size AS Size, Sys.Mtim.Sec AS MtimSec, Sys.Mtim.Nsec AS MtimNsec, Sys FROM glob(globs='x.txt', root=D + '/a')`,
    { D: dir },
  );
  const r = rows[0]!;
  assert.equal(r.Uid, Number(st.uid));
  assert.equal(r.Gid, Number(st.gid));
  assert.equal(r.Ino, Number(st.ino));
  assert.equal(r.Mode, Number(st.mode), 'the raw st_mode, file type bits included');
  assert.equal(r.Nlink, Number(st.nlink));
  assert.equal(r.Size, 6);
  assert.equal(BigInt(r.MtimSec as number) * 1_000_000_000n + BigInt(r.MtimNsec as number), st.mtimeNs);
  const fields = process.platform === 'darwin' ? ['Dev', 'Mode', 'Nlink', 'Ino', 'Uid', 'Gid'] : ['Dev', 'Ino', 'Nlink', 'Mode', 'Uid', 'Gid', 'X__pad0', 'Rdev', 'Size', 'Blksize', 'Blocks', 'Atim', 'Mtim', 'Ctim', 'X__unused'];
  assert.deepEqual(Object.keys(r.Sys as object).slice(0, fields.length), fields);
});

test('glob: hidden members FullPath, ModTime, GetLink; Globs lists every pattern that matched', async () => {
  const { rows } = await query(
    `SELECT Name, FullPath, ModTime = Mtime AS Same, GetLink, Globs FROM glob(globs=['*.txt', 'x*', 'nothing'], root=D + '/a')`,
    { D: dir },
  );
  assert.deepEqual(rows, [{ Name: 'x.txt', FullPath: join(dir, 'a', 'x.txt'), Same: true, GetLink: null, Globs: ['*.txt', 'x*'] }]);
  const { rows: links } = await query(`SELECT Name, GetLink.String AS Target, Data.Link AS Link FROM glob(globs='blink', root=D)`, { D: dir });
  assert.deepEqual(links, [{ Name: 'blink', Target: join(dir, 'a', 'b'), Link: join(dir, 'a', 'b') }]);
});

test('glob: a relative pattern starts at /, not at the working directory', { skip: process.platform === 'win32' && 'drive roots on Windows' }, async () => {
  // The working directory of the test has no `etc`; / has.
  const rel = dir.slice(1); // the test folder, without its leading /
  const { rows } = await query(`SELECT OSPath.String AS P FROM glob(globs=R + '/a/*.txt')`, { R: rel });
  assert.deepEqual(rows.map((r) => r.P), [join(dir, 'a', 'x.txt')]);
});

test('glob rows: Data.FSType names the filesystem (Linux), as Velociraptor names it', { skip: process.platform !== 'linux' && 'statfs names are Linux only' }, async () => {
  const { rows: p } = await query(`SELECT Data.FSType AS T FROM glob(globs='*', root='/proc') LIMIT 1`);
  assert.equal(p[0]!.T, 'proc');
  // The test folder's filesystem: whatever it is, a statfs-style name (ext4 is called ext2, overlay overlayfs).
  const { rows: t } = await query(`SELECT Data.FSType AS T FROM glob(globs='x.txt', root=D + '/a')`, { D: dir });
  assert.match(String(t[0]!.T), /^[a-z0-9_]+$/);
  assert.notEqual(t[0]!.T, 'ext4');
  assert.notEqual(t[0]!.T, 'overlay');
});

test('glob: large trees come out a directory at a time, all of them, stopping at LIMIT', async () => {
  const big = join(dir, 'big');
  await mkdir(big);
  for (let i = 0; i < 30; i++) {
    await mkdir(join(big, `d${i}`));
    for (let j = 0; j < 40; j++) await writeFile(join(big, `d${i}`, `f${j}`), '');
  }
  const { rows } = await query(`SELECT count() AS N FROM glob(globs='**', root=D) GROUP BY 1`, { D: big });
  assert.equal(rows[0]!.N, 30 + 30 * 40);
  const { rows: few } = await query(`SELECT OSPath FROM glob(globs='**', root=D) LIMIT 3`, { D: big });
  assert.equal(few.length, 3);
  await rm(big, { recursive: true });
});

test('glob: a recursion_callback that does not parse is logged and gives no rows', async () => {
  const { rows, logs } = await query(`SELECT * FROM glob(globs='**', root=D, recursion_callback='x=>')`, { D: dir });
  assert.deepEqual(rows, []);
  assert.ok(logs.some((l) => l.startsWith('error') && l.includes('lambda')), logs.join('\n'));
});
