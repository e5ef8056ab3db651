// Problems from the real checkers (the artifact loader, the VQL parser through the service)
// become underlines over the token they name.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Text } from '@codemirror/state';
import { loadArtifactText } from '../../main/artifacts/index.ts';
import { problemRange, problemsToDiagnostics } from '../../renderer/lib/editor/diagnostics.ts';
import type { Problem } from '../../main/ipc/contract.ts';
import { serviceBridge } from './queries-bridge.ts';

const doc = (s: string) => Text.of(s.split('\n'));
const underlined = (d: Text, r: { from: number; to: number }) => d.sliceString(r.from, r.to);

function yamlProblems(yaml: string): Problem[] {
  return loadArtifactText(yaml, 'editor').problems.map((p) => ({ line: p.line, column: p.column, message: p.message, severity: p.severity }));
}

describe('problem ranges', () => {
  test('a word, a quoted string, a single character', () => {
    const d = doc('SELECT * FRM range(end=3)\nWHERE ,x = "a b"');
    assert.equal(underlined(d, problemRange(d, 1, 10)), 'FRM');
    assert.equal(underlined(d, problemRange(d, 2, 7)), ',');
    assert.equal(underlined(d, problemRange(d, 2, 12)), '"a b"');
  });

  test('at the end of a line the last token is underlined; an empty line gets a point', () => {
    const d = doc('SELECT * FROM range(end=3) WHERE  \n\nx');
    assert.equal(underlined(d, problemRange(d, 1, 33)), 'WHERE');
    const op = doc('WHERE Name =~');
    assert.equal(underlined(op, problemRange(op, 1, 14)), '=~');
    const p = problemRange(d, 2, 1);
    assert.deepEqual([p.from, p.to], [d.line(2).from, d.line(2).from]);
  });

  test('positions outside the document are clamped, never thrown', () => {
    const d = doc('a\nbc');
    assert.equal(underlined(d, problemRange(d, 99, 99)), 'bc');
    assert.equal(underlined(d, problemRange(d, 0, 0)), 'a');
    assert.equal(underlined(d, problemRange(d, NaN, NaN)), 'a');
  });

  test('a VQL error inside an artifact query block underlines the token in the YAML', () => {
    const yaml = 'name: Custom.X\nsources:\n  - query: |\n      SELECT * FROM info()\n      WHERE ,x\n';
    const problems = yamlProblems(yaml);
    assert.equal(problems.length, 1);
    const d = doc(yaml);
    const [diag] = problemsToDiagnostics(d, problems);
    assert.equal(underlined(d, diag!), ',');
    assert.equal(d.lineAt(diag!.from).number, 5);
    assert.equal(diag!.severity, 'error');
    assert.match(diag!.message, /line 5, column 13/);
  });

  test('an unknown field and a YAML syntax error point where the loader says', () => {
    const d1 = 'name: Custom.X\nsource:\n  - query: SELECT 1 FROM scope()\n';
    assert.equal(underlined(doc(d1), problemsToDiagnostics(doc(d1), yamlProblems(d1))[0]!), 'source');
    const d2 = 'name: Custom.X\n  bad: indent\nsources: []\n';
    const [p2] = problemsToDiagnostics(doc(d2), yamlProblems(d2));
    assert.match(p2!.message, /^YAML: bad indentation/);
    assert.deepEqual([doc(d2).lineAt(p2!.from).number, underlined(doc(d2), p2!)], [2, ':']);
    // A tab in the indentation: the problem is at column 1, the underline on the item it indents.
    const d3 = 'name: Custom.X\nsources:\n\t- query: x\n';
    const [p3] = problemsToDiagnostics(doc(d3), yamlProblems(d3));
    assert.deepEqual([doc(d3).lineAt(p3!.from).number, underlined(doc(d3), p3!)], [3, '-']);
  });

  test('vql:check problems from the service underline the right token', async () => {
    const sb = serviceBridge();
    try {
      const q = 'SELECT * FROM range(end=3)\nWHERE ,x';
      const r = await sb.bridge.invoke('vql:check', q);
      assert.ok(r.ok);
      const d = doc(q);
      const [diag] = problemsToDiagnostics(d, r.value);
      assert.equal(underlined(d, diag!), ',');
      assert.equal(d.lineAt(diag!.from).number, 2);
    } finally {
      sb.close();
    }
  });
});
