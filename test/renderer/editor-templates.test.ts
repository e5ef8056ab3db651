// Artifact YAML built by the library and the console loads through the real artifact loader
// with no problems, and keeps what it was given (names, queries).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadArtifactText } from '../../main/artifacts/index.ts';
import {
  artifactNameOf, artifactTemplate, duplicateName, normalizeQuery, queryToArtifact, renameArtifactYaml, uniqueName,
} from '../../renderer/lib/editor/templates.ts';
import { readFileSync } from 'node:fs';

function loads(yaml: string) {
  const r = loadArtifactText(yaml, 'test.yaml');
  assert.deepEqual(r.problems, [], yaml);
  assert.ok(r.loaded);
  return r.loaded.artifact;
}

describe('templates', () => {
  test('the CLIENT and CLIENT_EVENT templates load, with unique names', () => {
    const client = loads(artifactTemplate('CLIENT', []));
    assert.equal(client.name, 'Custom.NewArtifact');
    assert.equal(client.type, 'client');
    assert.equal(client.parameters?.[0]?.name, 'ProcessRegex');
    const event = loads(artifactTemplate('CLIENT_EVENT', ['Custom.NewEventArtifact']));
    assert.equal(event.name, 'Custom.NewEventArtifact2');
    assert.equal(event.type, 'client_event');
  });

  test('uniqueName counts up past taken names', () => {
    assert.equal(uniqueName('A', []), 'A');
    assert.equal(uniqueName('A', ['A', 'A2', 'A3']), 'A4');
  });

  test('a duplicate of a built-in is Custom.<Name>, of a user artifact <Name>Copy; the rest is kept', () => {
    const raw = readFileSync(new URL('../../artifacts/Generic.Client.Stats.yaml', import.meta.url), 'utf8');
    const name = duplicateName('Generic.Client.Stats', ['Generic.Client.Stats']);
    assert.equal(name, 'Custom.Generic.Client.Stats');
    const copy = renameArtifactYaml(raw, name);
    const a = loads(copy);
    assert.equal(a.name, 'Custom.Generic.Client.Stats');
    assert.equal(copy.replace(/^name: .*$/m, ''), raw.replace(/^name: .*$/m, ''));
    assert.equal(duplicateName('Custom.X', ['Custom.X', 'Custom.XCopy']), 'Custom.XCopy2');
  });

  test('artifactNameOf reads plain, quoted and commented name lines, and only the top level', () => {
    assert.equal(artifactNameOf('name: A.B\n'), 'A.B');
    assert.equal(artifactNameOf('description: x\nname: "A.C"  # why\n'), 'A.C');
    assert.equal(artifactNameOf("name: 'A.D'"), 'A.D');
    assert.equal(artifactNameOf('parameters:\n  - name: P\n'), null);
    assert.equal(renameArtifactYaml('type: CLIENT\n', 'X.Y'), 'name: X.Y\ntype: CLIENT\n');
  });
});

describe('console query to artifact', () => {
  const cases: Array<[string, string]> = [
    ['one line', 'SELECT * FROM range(end=3)'],
    ['multi-line with LET and blank lines', 'LET x = SELECT * FROM range(end=3)\n\nSELECT _value * 2 AS Double\nFROM x\n  WHERE _value > 0'],
    ['CRLF and surrounding blank lines', '\r\n\r\nSELECT Unix\r\nFROM clock(period=1)\r\n\r\n'],
    ['indented as a whole', '    SELECT *\n    FROM info()'],
    ['first line deeper than the rest', '   SELECT *\nFROM info()'],
    ['strings with YAML-looking text', "SELECT 'key: value # not a comment' AS A, \"- item\" AS B, '|' AS C FROM scope()"],
    ['a tab inside a line', 'SELECT\t1 AS One FROM scope()'],
  ];
  for (const [what, query] of cases) {
    test(`round-trips through the loader: ${what}`, () => {
      const yaml = queryToArtifact(query, []);
      const a = loads(yaml);
      assert.equal(a.type, 'client');
      assert.equal(a.sources?.[0]?.query, normalizeQuery(query) + '\n');
    });
  }

  test('the name comes from the first plugin, in CamelCase, unique against taken names', () => {
    assert.equal(loads(queryToArtifact('SELECT * FROM parse_csv(filename="x")', [])).name, 'Custom.Console.ParseCsv');
    assert.equal(loads(queryToArtifact('SELECT * FROM range(end=1)', ['Custom.Console.Range'])).name, 'Custom.Console.Range2');
    assert.equal(loads(queryToArtifact('LET x = 1 SELECT x FROM scope()', [])).name, 'Custom.Console.Scope');
  });

  test('normalizeQuery dedents and trims without touching the inside', () => {
    assert.equal(normalizeQuery('\n  SELECT a\n    FROM b  \n\n'), 'SELECT a\n  FROM b');
  });
});
