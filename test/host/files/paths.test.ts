import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OSPath, joinComponents, parseComponents, splitComponents } from '../../../main/host/files/ospath.ts';
import { query, value } from './query-runner.ts';

test('components: separators, quotes, drives, devices and hives', () => {
  assert.deepEqual(splitComponents('/a//b/./"c/d"/e', '/'), ['a', 'b', 'c/d', 'e']);
  assert.deepEqual(parseComponents('C:\\Windows/System32', 'windows'), ['C:', 'Windows', 'System32']);
  assert.deepEqual(parseComponents('\\\\.\\C:\\Windows', 'windows'), ['\\\\.\\C:', 'Windows']);
  // A drive-letter device ends at its colon (Windows.NTFS.Recover's Drive + Inode); others at a separator.
  assert.deepEqual(parseComponents('\\\\.\\C:46-128-0', 'windows'), ['\\\\.\\C:', '46-128-0']);
  assert.deepEqual(parseComponents('\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy1\\x', 'windows'), ['\\\\?\\GLOBALROOT', 'Device', 'HarddiskVolumeShadowCopy1', 'x']);
  assert.deepEqual(parseComponents('\\\\.\\PhysicalDrive0', 'windows'), ['\\\\.\\PhysicalDrive0']);
  assert.deepEqual(parseComponents('HKLM\\Software', 'registry'), ['HKEY_LOCAL_MACHINE', 'Software']);
  assert.deepEqual(parseComponents('a\\b', 'linux'), ['a\\b']);
  assert.equal(joinComponents(['C:', 'Windows'], 'windows'), 'C:\\Windows');
  assert.equal(joinComponents(['usr', 'lib'], 'linux'), '/usr/lib');
  assert.equal(joinComponents(['a', 'b/c'], 'generic'), '/a/"b/c"');
  assert.equal(joinComponents([], 'linux'), '/');
});

test('OSPath: pathspec JSON round trip, members, dirname, join', () => {
  const p = OSPath.parse('{"DelegateAccessor":"file","DelegatePath":"C:/Windows","Path":"/a/b"}');
  assert.equal(p.toString(), '{"DelegateAccessor":"file","DelegatePath":"C:/Windows","Path":"/a/b"}');
  assert.deepEqual(p.components, ['a', 'b']);
  const w = OSPath.parse('C:\\Users\\test', 'windows');
  assert.equal(w.join('x\\y').toString(), 'C:\\Users\\test\\x\\y');
  assert.equal(w.dirname().toString(), 'C:\\Users');
  assert.equal(w.slice(1).toString(), 'Users\\test');
  assert.equal(w.basename, 'test');
});

test('basename, dirname, path_split and path_join', async () => {
  assert.equal(await value(`basename(path='/foo/bar/"http://www.google.com/"')`), 'http://www.google.com/');
  assert.equal(await value(`basename(path='c:\\\\foo\\\\bar.txt', path_type='windows')`), 'bar.txt');
  assert.equal(await value(`basename(path='a|b|c', sep='|')`), 'c');
  assert.equal(await value(`dirname(path='/foo/bar/baz', path_type='linux')`), '/foo/bar');
  assert.equal(await value(`dirname(path='a|b|c', sep='|')`), 'a|b');
  assert.deepEqual(await value(`path_split(path='/a/b/c', path_type='linux')`), ['a', 'b', 'c']);
  assert.equal(await value(`path_join(components=['a', 'b', 'c'])`), 'a/b/c');
  assert.equal(await value(`path_join(components=['a', 'b'], sep='\\\\')`), 'a\\b');
  assert.equal(await value(`path_join(components=['C:', 'Windows'], path_type='windows')`), 'C:\\Windows');
  assert.equal(await value(`basename(path='/x', path_type='nope')`), null);
  assert.equal(await value(`relpath(path='/usr/lib/x.so', base='/usr')`), 'lib/x.so');
  assert.equal(await value(`relpath(path='C:\\\\Windows\\\\System32\\\\x', base='c:/windows', path_type='windows', sep='|')`), 'System32|x');
});

test('pathspec(): parse, members, delegates, + and comparisons', async () => {
  assert.deepEqual(await value(`pathspec(parse='C:\\\\Windows', path_type='windows').Components`), ['C:', 'Windows']);
  assert.equal(await value(`pathspec(parse='HKU/Software', path_type='registry').String`), 'HKEY_USERS\\Software');
  assert.deepEqual(await value(`(pathspec(parse='C:\\\\Windows', path_type='windows') + '\\\\foo\\\\bar').Components`), ['C:', 'Windows', 'foo', 'bar']);
  assert.deepEqual(await value(`(pathspec(parse='C:\\\\Windows', path_type='windows') + ('foo/bar', )).Components`), ['C:', 'Windows', 'foo/bar']);
  assert.equal(
    await value(`pathspec(DelegateAccessor='file', DelegatePath='C:/Windows').String`),
    '{"DelegateAccessor":"file","DelegatePath":"C:/Windows"}',
  );
  assert.equal(
    await value(`pathspec(Path='Foo', DelegateAccessor='raw_reg', Delegate=pathspec(Path='/Software')).String`),
    '{"DelegateAccessor":"raw_reg","Delegate":{"Path":"/Software"},"Path":"/Foo"}',
  );
  // OSPath < and > against text go through the registered protocols (the engine does not
  // consult eq/regex handlers yet, so = and =~ on an OSPath need .String for now).
  assert.equal(await value(`pathspec(parse='/usr/lib', path_type='linux') < '/usr/lix'`), true);
  assert.equal(await value(`pathspec(parse='/usr/lib', path_type='linux') > '/usr/lix'`), false);
  assert.equal(await value(`pathspec(parse='/usr/lib', path_type='linux').Dirname.String`), '/usr');
  assert.equal(await value(`str(str=pathspec(parse='/usr/lib', path_type='linux'))`), '/usr/lib');
});

test('ORDER BY an OSPath column sorts by the path (Windows.Search.VSS: ORDER BY OSPath), DESC reversed', async () => {
  const vql = (dir: string) => `LET X = SELECT pathspec(parse=_value, path_type='windows') AS P FROM foreach(row=Paths)
    SELECT P FROM X ORDER BY P${dir}`;
  const Paths = ['\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy2\\a.txt', 'C:\\b.txt', '\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy1\\a.txt', 'C:\\a.txt'];
  const sorted = ['C:\\a.txt', 'C:\\b.txt', '\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy1\\a.txt', '\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy2\\a.txt'];
  assert.deepEqual((await query(vql(''), { Paths })).rows.map((r) => r.P), sorted);
  assert.deepEqual((await query(vql(' DESC'), { Paths })).rows.map((r) => r.P), [...sorted].reverse());
});

test('pathspec(accessor=): Path is read by that accessor\'s own rules; an unknown accessor is false', async () => {
  // The file accessor on this machine reads Linux paths: a backslash is part of a name.
  assert.deepEqual(await value(`pathspec(Path='/tmp/a\\\\b', accessor='file').Components`), ['tmp', 'a\\b']);
  assert.deepEqual(await value(`pathspec(Path='/tmp/a\\\\b').Components`), ['tmp', 'a', 'b'], 'generic splits on backslashes');
  assert.equal(await value(`pathspec(Path='/x', accessor='nope')`), false);
});
