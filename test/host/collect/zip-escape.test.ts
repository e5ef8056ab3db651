import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeComponent, escapeComponents, keptComponents, unescapeComponent } from '../../../main/host/collect/zip-escape.ts';

test('container names are escaped as Velociraptor escapes them (FORMATS 1.3 fixtures)', () => {
  const cases: Array<[string, string]> = [
    ['C:', 'C%3A'],
    ['\\\\.\\C:', '%5C%5C.%5CC%3A'],
    ['$UsnJrnl:$Max', '$UsnJrnl%3A$Max'],
    ['ls\\with\\back:slash', 'ls%5Cwith%5Cback%3Aslash'],
    ['Start Menu', 'Start Menu'],
    ['Windows.KapeFiles.Targets/Uploads.json', 'Windows.KapeFiles.Targets%2FUploads.json'],
    ['a?b"c*d|e<f>g%h', 'a%3Fb%22c%2Ad%7Ce%3Cf%3Eg%25h'],
    ['.hidden', '%2Ehidden'],
    ['trailing.', 'trailing%2E'],
    [' lead and trail ', '%20lead and trail%20'],
    ['é ü 日本', 'é ü 日本'],
  ];
  for (const [raw, escaped] of cases) {
    assert.equal(escapeComponent(raw), escaped, raw);
    assert.equal(unescapeComponent(escaped), raw, escaped);
  }
});

test('escaping drops empty, . and .. components: a name never climbs out of its folder', () => {
  assert.equal(escapeComponents(['uploads', 'auto', '..', '..', 'etc', '', '.', 'passwd']), 'uploads/auto/etc/passwd');
  assert.deepEqual(keptComponents(['..', 'a', '.', '', 'b']), ['a', 'b']);
  assert.equal(escapeComponent('...'), '%2E.%2E');
});

test('escaping: long components are cut after 1024 bytes; undecodable text is escaped', () => {
  assert.ok(Buffer.byteLength(escapeComponent('x'.repeat(5000))) <= 1025);
  assert.equal(escapeComponent('a\uFFFDb'), 'a%EF%BF%BDb');
  assert.equal(escapeComponent('a\uD800b'), 'a%EF%BF%BDb');
});

test('unescaping: hex is case-insensitive, a bad digit is 0, a cut %XX is dropped', () => {
  assert.equal(unescapeComponent('C%3a'), 'C:');
  assert.equal(unescapeComponent('%4G'), '@');
  assert.equal(unescapeComponent('ab%4'), 'ab4');
  assert.equal(unescapeComponent('ab%'), 'ab');
});
