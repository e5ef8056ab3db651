// Warnings of the static call checks, from the real service through the renderer's mapping:
// severity 'warning' (CodeMirror draws .cm-lintRange-warning), underline on the name, a dotted
// Artifact.X name underlined whole, and errors still underline as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Text } from '@codemirror/state';
import { problemRange, problemsToDiagnostics } from '../../renderer/lib/editor/diagnostics.ts';
import { serviceBridge } from './queries-bridge.ts';

const doc = (s: string) => Text.of(s.split('\n'));
const underlined = (d: Text, r: { from: number; to: number }) => d.sliceString(r.from, r.to);

test('vql:check warnings become warning diagnostics over the name, dotted names whole', async () => {
  const sb = serviceBridge();
  try {
    const q = 'SELECT * FROM pslit()';
    const r = await sb.bridge.invoke('vql:check', q);
    assert.ok(r.ok);
    const d = doc(q);
    const [first] = problemsToDiagnostics(d, r.value);
    assert.deepEqual([first!.severity, underlined(d, first!), first!.message], ['warning', 'pslit', 'unknown plugin pslit: did you mean pslist? (line 1, column 15)']);
    const art = await sb.bridge.invoke('vql:check', 'SELECT * FROM Artifact.Generic.Client.Stat()');
    assert.ok(art.ok);
    const d2 = doc('SELECT * FROM Artifact.Generic.Client.Stat()');
    assert.deepEqual(problemsToDiagnostics(d2, art.value).map((x) => [x.severity, underlined(d2, x)]), [['warning', 'Artifact.Generic.Client.Stat']]);
  } finally {
    sb.close();
  }
});

test('a dotted name is one word; a trailing dot or a number stays as before', () => {
  const d = doc('SELECT a.b.c, x. FROM y');
  assert.equal(underlined(d, problemRange(d, 1, 8)), 'a.b.c');
  assert.equal(underlined(d, problemRange(d, 1, 15)), 'x');
  const n = doc('SELECT 1.5 FROM z');
  assert.equal(underlined(n, problemRange(n, 1, 8)), '1.5');
});
