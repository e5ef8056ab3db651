// A YAML error caused by a key without ':' is noticed by the parser lines later: the loader's
// message names the line where the problem starts. Values that run over lines are not taken
// for such a key, and an error on the faulty line itself gets no hint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProblem, loadArtifactText } from '../../main/artifacts/loader.ts';
import { keyWithoutColon, yamlErrorHint } from '../../main/artifacts/yaml-hint.ts';

const first = (yaml: string) => formatProblem(loadArtifactText(yaml, 'a.yaml').problems[0]!);

test('a missing ":" on line 5, noticed on line 7: the message points at line 5', () => {
  const yaml = [
    'name: Custom.Hint', //                       1
    'description: |', //                          2
    '  Finds things.', //                         3
    'parameters:', //                             4
    '  - name: Pattern', //                       5
    '    description the regex to match', //      6 (the ':' is missing)
    '    default: .', //                          7
    'sources:',
    '  - query: SELECT * FROM info()',
    '',
  ].join('\n');
  const p = first(yaml);
  assert.match(p, /^a\.yaml:7:\d+: error: YAML: /, 'the parser position stays');
  assert.match(p, /the problem may start on line 6: 'description' looks like a key without ':' \(write `description: \.\.\.`\)/);
});

test('a top-level key without ":" (precondition, sources)', () => {
  assert.match(first('name: Custom.A\nauthor: me\nprecondition SELECT * FROM info()\nsources:\n  - query: SELECT 1 FROM scope()\n'), /may start on line 3: 'precondition'/);
  assert.match(first('name: Custom.A\nparameters:\n  - name: A\nsources\n  - query: SELECT 1 FROM scope()\n'), /may start on line 4: 'sources'/);
});

test('no hint for a value that runs over lines, nor when the parser already points at the line', () => {
  // `  more text` continues description's value; the fault is the indentation of line 4.
  assert.equal(keyWithoutColon('name: A\ndescription: hi\n  more text here\n bad: x\n', 4), undefined);
  assert.equal(yamlErrorHint('name: A\nparameters:\n  - name: A\n    default\n', 4), '');
  assert.doesNotMatch(first('name: Custom.A\nparameters:\n  - name: A\n    default\nsources:\n  - query: SELECT 1 FROM scope()\n'), /may start on line/);
  // A well-formed key between the suspect and the error: the fault is not above it.
  assert.equal(keyWithoutColon('name: A\nfoo bar\ntype: CLIENT\nx: [\n', 4), undefined);
});
