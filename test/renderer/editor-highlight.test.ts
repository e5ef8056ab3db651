// VQL highlighting: token classes of SPEC 2.1, state across lines, and VQL nested only in the
// query fields of artifact YAML.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StringStream } from '@codemirror/language';
import { EditorState } from '@codemirror/state';
import { vqlStreamParser, type VqlStreamState } from '../../renderer/lib/editor/vql-stream.ts';
import { languageFor } from '../../renderer/lib/editor/languages.ts';
import { parsed } from './editor-parsed.ts';

/** [text, style] for each token of each line, as CodeMirror would feed the parser. */
function tokens(src: string): Array<[string, string | null]> {
  const state: VqlStreamState = vqlStreamParser.startState!(2);
  const out: Array<[string, string | null]> = [];
  for (const line of src.split('\n')) {
    const s = new StringStream(line, 2, 2);
    while (!s.eol()) {
      const style = vqlStreamParser.token(s, state);
      if (s.pos === s.start) throw new Error(`no progress at ${s.pos} in ${line}`);
      if (style) out.push([s.current(), style]);
      s.start = s.pos;
    }
  }
  return out;
}

describe('VQL stream tokens', () => {
  test('keywords, calls, arguments, operators, numbers, strings, atoms', () => {
    assert.deepEqual(tokens("SELECT Name, count() AS N FROM pslist(pid=0x10) WHERE Name =~ 'a\\'b' AND TRUE group  by Name"), [
      ['SELECT', 'keyword'], ['Name', 'variableName'], [',', 'punctuation'], ['count', 'variableName.function'],
      ['(', 'bracket'], [')', 'bracket'], ['AS', 'keyword'], ['N', 'variableName'], ['FROM', 'keyword'],
      ['pslist', 'variableName.function'], ['(', 'bracket'], ['pid', 'variableName'], ['=', 'operator'], ['0x10', 'number'],
      [')', 'bracket'], ['WHERE', 'keyword'], ['Name', 'variableName'], ['=~', 'operator'], ["'a\\'b'", 'string'],
      ['AND', 'keyword'], ['TRUE', 'atom'], ['group  by', 'keyword'], ['Name', 'variableName'],
    ]);
  });

  test('comments of all three kinds, and a block comment across lines', () => {
    const t = tokens('SELECT 1 -- sql\n// line\n/* block\nstill */ FROM x');
    assert.deepEqual(t.filter(([, s]) => s === 'comment').map(([x]) => x), ['-- sql', '// line', '/* block', 'still */']);
    assert.deepEqual(t.at(-2), ['FROM', 'keyword']);
  });

  test('raw and quoted strings may span lines; backticks are names', () => {
    const t = tokens("SELECT '''raw\n'still''' AS `my col`, \"two\nlines\" FROM scope()");
    assert.deepEqual(t.slice(1, 5), [["'''raw", 'string'], ["'still'''", 'string'], ['AS', 'keyword'], ['`my col`', 'variableName.special']]);
    assert.deepEqual(t.slice(6, 8), [['"two', 'string'], ['lines"', 'string']]);
  });

  test('characters with no token class are marked invalid, and never stall', () => {
    assert.deepEqual(tokens('SELECT 1; @'), [['SELECT', 'keyword'], ['1', 'number'], [';', 'invalid'], ['@', 'invalid']]);
  });
});

describe('artifact YAML nests VQL in query fields only', () => {
  const yaml = [
    'name: Custom.X',
    'description: SELECT nothing // here',
    'sources:',
    '  - precondition: SELECT OS FROM info()',
    '    query: |',
    '      SELECT * FROM range(end=3)',
    '    queries:',
    '      - SELECT 1 FROM scope()',
  ].join('\n');
  const state = parsed(EditorState.create({ doc: yaml, extensions: [languageFor('yaml')] }));
  const at = (line: number, text: string) => state.doc.line(line).from + state.doc.line(line).text.indexOf(text) + 1;
  const lang = (pos: number) => state.languageDataAt<{ line?: string }>('commentTokens', pos)[0]?.line;

  test('the VQL comment token (//) applies inside query, precondition and queries items', () => {
    assert.equal(lang(at(6, 'range')), '//');
    assert.equal(lang(at(4, 'info')), '//');
    assert.equal(lang(at(8, 'scope')), '//');
  });

  test('elsewhere it is YAML (#)', () => {
    assert.equal(lang(at(2, 'nothing')), '#');
    assert.equal(lang(at(1, 'Custom')), '#');
  });
});
