// The line diff shown before an import or a save replaces a file: hunks that rebuild both
// texts exactly, context around each change, the counts, and a bounded cost for unrelated texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiff, lineDiff, splitLines, type LineDiff } from '../../main/artifacts/line-diff.ts';

/** The old and new texts a diff describes when it has every line (context large enough). */
function sides(d: LineDiff): { old: string[]; new: string[] } {
  const lines = d.hunks.flatMap((h) => h.lines);
  return { old: lines.filter((l) => l.op !== '+').map((l) => l.text), new: lines.filter((l) => l.op !== '-').map((l) => l.text) };
}

/** A seeded generator (the test is the same on every run). */
function rng(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

test('a changed line, an added line: hunks with 3 lines of context and their line numbers', () => {
  const a = 'name: Custom.A\ndescription: old\ntype: CLIENT\nsources:\n  - query: SELECT 1 FROM scope()\n';
  const b = 'name: Custom.A\ndescription: new\ntype: CLIENT\nsources:\n  - query: SELECT 1 FROM scope()\n  - query: SELECT 2 FROM scope()\n';
  const d = lineDiff(a, b);
  assert.equal(d.removed, 1);
  assert.equal(d.added, 2);
  assert.equal(formatDiff(d, 'mine', 'pack'), [
    '--- mine', '+++ pack', '@@ -1,5 +1,6 @@', ' name: Custom.A', '-description: old', '+description: new', ' type: CLIENT', ' sources:',
    '   - query: SELECT 1 FROM scope()', '+  - query: SELECT 2 FROM scope()', '',
  ].join('\n'));
  const removed = d.hunks[0]!.lines.find((l) => l.op === '-')!;
  assert.deepEqual([removed.oldLine, removed.newLine], [2, undefined]);
});

test('changes far apart are separate hunks; equal texts have none', () => {
  const a = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n');
  const b = a.replace('line 2\n', 'LINE 2\n').replace('line 28', 'LINE 28');
  const d = lineDiff(a, b);
  assert.equal(d.hunks.length, 2);
  assert.deepEqual(d.hunks.map((h) => [h.oldStart, h.newStart]), [[1, 1], [25, 25]]);
  assert.deepEqual(lineDiff(a, a), { hunks: [], added: 0, removed: 0 });
  assert.deepEqual(splitLines('a\r\nb\n'), ['a', 'b']);
  assert.deepEqual(splitLines(''), []);
});

test('random edits: the diff rebuilds both texts and its counts match a minimal edit script', () => {
  const r = rng(7);
  for (let round = 0; round < 200; round++) {
    const a = Array.from({ length: Math.floor(r() * 30) }, () => 'abcde'[Math.floor(r() * 5)]!);
    const b = a.filter(() => r() > 0.2).flatMap((x) => (r() > 0.8 ? [x, 'fghij'[Math.floor(r() * 5)]!] : [x]));
    const d = lineDiff(a.join('\n'), b.join('\n'), 1e6);
    const s = sides(d);
    assert.deepEqual(s.old, d.hunks.length ? a : [], `round ${round}`);
    assert.deepEqual(s.new, d.hunks.length ? b : [], `round ${round}`);
    // Minimal: removed + added equals |a| + |b| - 2·LCS.
    const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
    for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    assert.equal(d.removed + d.added, a.length + b.length - 2 * lcs[0]![0]!, `round ${round}`);
  }
});

test('unrelated texts past the edit bound: everything removed, everything added, still exact', () => {
  const a = Array.from({ length: 3000 }, (_, i) => `a${i}`).join('\n');
  const b = Array.from({ length: 3000 }, (_, i) => `b${i}`).join('\n');
  const d = lineDiff(a, b, 0);
  assert.equal(d.removed, 3000);
  assert.equal(d.added, 3000);
  const s = sides(lineDiff(a, b, 1e6));
  assert.equal(s.old.join('\n'), a);
  assert.equal(s.new.join('\n'), b);
});
