import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandTemplate, replaceAllGo } from '../../../main/host/files/regexes.ts';
import { splitShellWords, splitWindowsCommandLine } from '../../../main/host/files/strings.ts';
import { humanizeBytes, parseGoInt } from '../../../main/host/files/numbers.ts';
import { query, value } from './query-runner.ts';

test('Go regexp replacement: templates and empty matches', async () => {
  const m = /(?<first>a)(b)?/.exec('ab')!;
  assert.equal(expandTemplate('[$1|${2}|${first}|$first|$$|$3|$1x|$]', m), '[a|b|a|a|$|||$]');
  // Go skips an empty match right after a match: "-b-c-", where JS gives "-b--c-".
  assert.equal(await replaceAllGo('baaac', /a*/g, () => '-'), '-b-c-');
  assert.equal(await replaceAllGo('abc', /x*/g, () => '-'), '-a-b-c-');
});

test('regex_replace, regex_transform, parse_string_with_regex', async () => {
  assert.equal(await value(`regex_replace(source='Hello World', re='o', replace='0')`), 'Hell0 W0rld');
  assert.equal(await value(`regex_replace(source='john smith', re='(?P<f>\\\\w+) (\\\\w+)', replace='$2, \${f}')`), 'smith, john');
  assert.equal(await value(`regex_replace(source='ABC', re='b', replace='x')`), 'AxC', 'case-insensitive like Velociraptor');
  assert.equal(await value(`regex_replace(source='a1b22', re='[0-9]+', replace_lambda='x=>format(format="<%v>", args=len(list=x))')`), 'a<1>b<2>');
  assert.equal(await value(`regex_transform(source='Hello world', map=dict(\`^Hello\`='Goodbye', world='Space'))`), 'Goodbye Space');
  assert.deepEqual(
    await value(`parse_string_with_regex(string='user=bob id=7', regex=['user=(?P<User>\\\\w+)', 'id=(?P<Id>\\\\d+)', 'x=(?P<X>.)'])`),
    { User: 'bob', Id: '7', X: '' },
  );
  // Unnamed groups are g1, g2... (Windows.Analysis.EvidenceOfDownload reads .g1); every match counts, the later overwriting.
  assert.deepEqual(await value(`parse_string_with_regex(string='ZoneId=3', regex='ZoneId=([^=]+)')`), { g1: '3' });
  assert.deepEqual(await value(`parse_string_with_regex(string='a=1 a=2', regex='a=(?P<A>[0-9])')`), { A: '2' });
  assert.deepEqual(await value(`parse_string_with_regex(string='xyz', regex='(a)|(x)')`), { g2: 'x' }, 'a group that took no part is left out');
  const { rows, logs } = await query(`SELECT regex_replace(source='x', re='(', replace='') AS X FROM scope()`);
  assert.deepEqual(rows, [{ X: null }]);
  assert.ok(logs.some((l) => l.includes('invalid regex')));
});

test('str, join, upcase, lowcase, strip, substr', async () => {
  assert.equal(await value(`str(str=12)`), '12');
  assert.equal(await value(`str(str=1.5)`), '1.5');
  assert.equal(await value(`str(str=unhex(string='6869'))`), 'hi');
  assert.equal(await value(`join(array=['a', 1, TRUE], sep='-')`), 'a-1-true');
  assert.equal(await value(`upcase(string='aé')`), 'AÉ');
  assert.equal(await value(`lowcase(string='AB')`), 'ab');
  assert.equal(await value(`strip(string='  x  ')`), 'x');
  assert.equal(await value(`strip(string='prefix-x', prefix='prefix-')`), 'x');
  assert.equal(await value(`substr(str='héllo', start=1, end=3)`), 'él');
  assert.equal(await value(`substr(str='hello', start=2)`), 'llo');
  // Binary data is cut by bytes (Velociraptor's Go slicing): 4 bytes of 0xFF stay 4 bytes.
  assert.equal(await value(`format(format='%x', args=substr(str=unhex(string='01000000ffffffff'), start=4, end=8))`), 'ffffffff');
  assert.equal(await value(`substr(str=unhex(string='41ff42'), start=2)`), 'B');
});

test('rot13 turns the ASCII letters 13 places and keeps the rest (UserAssist key names)', async () => {
  // A real UserAssist value name and what Windows stored it for.
  assert.equal(await value(`rot13(string='HRZR_PGYFRFFVBA')`), 'UEME_CTLSESSION');
  assert.equal(await value(`rot13(string='{1NP14R77-02R7-4R5Q-O744-2RO1NR5198O7}/pzq.rkr')`), '{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}/cmd.exe');
  assert.equal(await value(`rot13(string=rot13(string='Zz-Aa 09 é'))`), 'Zz-Aa 09 é');
});

test('int, atoi, parse_float, humanize', async () => {
  assert.equal(parseGoInt('0x1f'), 31);
  assert.equal(parseGoInt('-010'), -8);
  assert.equal(parseGoInt('12a'), null);
  assert.equal(await value(`int(int='42')`), 42);
  assert.equal(await value(`int(int=3.9)`), 3);
  assert.equal(await value(`int(int='2.5')`), 2);
  assert.equal(await value(`int(int='junk')`), 0);
  assert.equal(await value(`int(int=timestamp(epoch=10))`), 10);
  assert.equal(await value(`atoi(string='0x10')`), 16);
  assert.equal(await value(`atoi(string='9223372036854775807') = 9223372036854775807`), true);
  assert.equal(await value(`parse_float(string='2.5') * 2`), 5);
  assert.equal(await value(`parse_float(string='nope')`), 0);
  assert.equal(humanizeBytes(9, false), '9 B');
  assert.equal(humanizeBytes(82854982, false), '83 MB');
  assert.equal(humanizeBytes(1536, true), '1.5 KiB');
  assert.equal(await value(`humanize(bytes=2048)`), '2.0 kB');
});

test('encodings: base64, unhex, gunzip, utf16, xor, entropy', async () => {
  assert.equal(await value(`base64encode(string='hello')`), 'aGVsbG8=');
  assert.equal(await value(`base64decode(string='aGVsbG8=')`), 'hello');
  assert.equal(await value(`base64decode(string='aGVsbG8')`), 'hello');
  assert.equal(await value(`base64decode(string='%%%')`), null);
  assert.equal(await value(`unhex(string='4142')`), 'AB');
  // A leading UTF-8 byte order mark is data, not dropped: 4 bytes stay 4 bytes.
  assert.equal(await value(`len(list=unhex(string='efbbbf41'))`), 4);
  assert.equal(await value(`base64encode(string=base64decode(string='77u/QQ=='))`), '77u/QQ==');
  assert.equal(await value(`unhex(string='2y')`), null);
  assert.equal(await value(`gunzip(string=base64decode(string='H4sICHEBVGMAA3RleHQudHh0AMtIzcnJVyjPL8pJ4QIALTsIrwwAAAA='))`), 'hello world\n');
  assert.equal(await value(`utf16(string=utf16_encode(string='hé'))`), 'hé');
  assert.equal(await value(`xor(string=xor(string='secret', key='k'), key='k')`), 'secret');
  assert.equal(await value(`entropy(string='aaaa')`), 0);
  assert.equal(await value(`entropy(string='ab')`), 1);
  // RFC 6229-style check: RC4("Key", "Plaintext") = bbf316e8d940af0ad3.
  assert.equal(await value(`format(format='%x', args=crypto_rc4(key='Key', string='Plaintext'))`), 'bbf316e8d940af0ad3');
  assert.equal(await value(`crypto_rc4(key='k', string=crypto_rc4(key='k', string='round trip'))`), 'round trip');
});

test('commandline_split: Windows and shell rules', async () => {
  assert.deepEqual(splitWindowsCommandLine('"C:\\Program Files\\x.exe" -a "b c" d\\\\"e f"'), ['C:\\Program Files\\x.exe', '-a', 'b c', 'd\\e f']);
  assert.deepEqual(splitWindowsCommandLine('a\\\\\\"b "c""d"'), ['a\\"b', 'c"d']);
  assert.deepEqual(splitShellWords(`ls -l 'a b' "c \\"d\\"" e\\ f`), ['ls', '-l', 'a b', 'c "d"', 'e f']);
  assert.deepEqual(await value(`commandline_split(command='/bin/sh -c "echo hi"', bash_style=TRUE)`), ['/bin/sh', '-c', 'echo hi']);
});

test('serialize: json, yaml, csv', async () => {
  // (Array literal arguments are evaluated first, so they also come first in a dict.)
  assert.equal(await value(`serialize(item=dict(B=[1, 2], A=1))`), '{\n "B": [\n  1,\n  2\n ],\n "A": 1\n}');
  assert.equal(await value(`serialize(item=dict(A=[1, 'two', dict(C=TRUE)], B='x', E='', Num='12'), format='yaml')`),
    'A:\n- 1\n- two\n- C: true\nB: x\nE: ""\nNum: "12"\n');
  assert.equal(await value(`serialize(item=dict(T='line1\nline2'), format='yaml')`), 'T: |-\n  line1\n  line2\n');
  assert.equal(await value(`serialize(item={ SELECT _value AS V, 'a,b' AS S FROM range(end=2) }, format='csv')`), 'V,S\n0,"a,b"\n1,"a,b"\n');
  // (dict() turns host values into dicts of their members for now: set() keeps the OSPath.)
  assert.equal(await value(`serialize(item=set(item=dict(), field='P', value=pathspec(parse='/a/b', path_type='linux')), format='yaml')`), 'P: /a/b\n');
  assert.equal(
    await value(`serialize(item=set(item=dict(), field='Foo', value=pathspec(Path='Foo', DelegateAccessor='raw_reg', Delegate=pathspec(Path='/Software'))), format='yaml')`),
    'Foo: |-\n  {\n     "DelegateAccessor": "raw_reg",\n     "Delegate": {\n       "Path": "/Software"\n     },\n     "Path": "/Foo"\n   }\n',
  );
});
