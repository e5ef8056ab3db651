// The artifact size limit and what keeps loading bounded: the loader refuses text over
// MAX_ARTIFACT_BYTES before parsing and a file over it from its size; the repository reuses the
// load of files that did not change (a reload before every query costs a stat per file) and a
// sliced reload gives the event loop back between files, answering from the previous state
// meanwhile; positions come from a line index (equal to positionAt), problems are capped per
// file, and YAML aliases may not expand a file past twice its size.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Repository, loadArtifactFile, loadArtifactText } from '../../main/artifacts/index.ts';
import { MAX_FILE_PROBLEMS } from '../../main/artifacts/loader.ts';
import { LineIndex } from '../../main/artifacts/line-index.ts';
import { MAX_ARTIFACT_BYTES, artifactSizeProblem, formatSize } from '../../main/artifacts/size-limit.ts';
import { positionAt } from '../../main/vql/index.ts';
import { prng } from '../helpers/prng.ts';

const TMP = mkdtempSync(join(tmpdir(), 'vql-artifact-limits-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
const art = (name: string, extra = '') => `name: ${name}\n${extra}sources:\n  - query: SELECT 1 AS One FROM scope()\n`;

test('the limit is 1 MiB, and the corpus of Velociraptor artifacts is far below it', async () => {
  assert.equal(MAX_ARTIFACT_BYTES, 2 ** 20);
  assert.equal(formatSize(51380224), '49 MiB');
  assert.equal(formatSize(1086092), '1.04 MiB');
  assert.equal(artifactSizeProblem(MAX_ARTIFACT_BYTES), undefined);
  assert.match(artifactSizeProblem(MAX_ARTIFACT_BYTES + 1)!, /^the file is 1 MiB \(1048577 bytes\), more than the 1 MiB \(1048576 bytes\)/);
});

test('text over the limit is refused before it is parsed (UTF-8 bytes count, not characters)', () => {
  const ascii = art('Custom.Ok', `description: ${'a'.repeat(MAX_ARTIFACT_BYTES - 200)}\n`);
  assert.ok(loadArtifactText(ascii).loaded);
  // Fewer characters than the limit, more bytes.
  const accented = art('Custom.Big', `description: ${'é'.repeat(600_000)}\n`);
  const r = loadArtifactText(accented, 'x.yaml');
  assert.equal(r.loaded, undefined);
  assert.deepEqual(r.problems.map((p) => [p.file, p.line, p.column, p.severity]), [['x.yaml', 1, 1, 'error']]);
  assert.match(r.problems[0]!.message, /^the file is 1\.14 MiB \(1200\d+ bytes\).*: it was not loaded$/);
});

test('a file is sized before it is read: over the limit it is one problem, at the limit it loads', () => {
  const over = join(TMP, 'over.yaml');
  writeFileSync(over, art('Custom.Over', `description: ${'a'.repeat(MAX_ARTIFACT_BYTES)}\n`));
  assert.match(loadArtifactFile(over).problems[0]!.message, /^the file is 1 MiB \(\d+ bytes\), more than the 1 MiB/);
  const exact = join(TMP, 'exact.yaml');
  const head = 'name: Custom.Exact\ndescription: |\n';
  const tail = 'sources:\n  - query: SELECT 1 AS One FROM scope()\n';
  const text = head + '  ' + 'b'.repeat(MAX_ARTIFACT_BYTES - head.length - tail.length - 3) + '\n' + tail;
  assert.equal(text.length, MAX_ARTIFACT_BYTES);
  writeFileSync(exact, text);
  assert.ok(loadArtifactFile(exact).loaded);
});

test('reload reuses the load of unchanged files and reloads changed ones; a file grown past the limit is then skipped', () => {
  const dir = join(TMP, 'repo');
  mkdirSync(dir);
  writeFileSync(join(dir, 'A.yaml'), art('Custom.A'));
  writeFileSync(join(dir, 'B.yaml'), art('Custom.B'));
  const repo = new Repository({ builtinDir: null, definitions: [dir] });
  const a = repo.get('Custom.A')!;
  const b = repo.get('Custom.B')!;
  writeFileSync(join(dir, 'B.yaml'), art('Custom.B', 'description: changed\n'));
  assert.deepEqual(repo.reload(), { added: [], removed: [], changed: ['Custom.B'] });
  assert.equal(repo.get('Custom.A'), a, 'the unchanged file was not loaded again');
  assert.notEqual(repo.get('Custom.B'), b);
  assert.equal(repo.get('Custom.B')!.artifact.description, 'changed');
  appendFileSync(join(dir, 'A.yaml'), `# ${'x'.repeat(MAX_ARTIFACT_BYTES)}\n`);
  assert.deepEqual(repo.reload(), { added: [], removed: ['Custom.A'], changed: [] });
  assert.match(repo.problems[0]!.message, /^the file is 1 MiB .*: it was not loaded$/);
  assert.equal(repo.problems[0]!.file, join(dir, 'A.yaml'));
});

test('a sliced reload gives the event loop turns between files and answers from the previous state until it is done', async () => {
  const dir = join(TMP, 'sliced');
  mkdirSync(dir);
  for (let i = 0; i < 20; i++) writeFileSync(join(dir, `A${i}.yaml`), art(`Custom.A${i}`));
  const repo = new Repository({ builtinDir: null, definitions: [dir] });
  for (let i = 20; i < 40; i++) writeFileSync(join(dir, `A${i}.yaml`), art(`Custom.A${i}`));
  let turns = 0;
  let seenDuring = -1;
  const tick = () => {
    turns++;
    if (seenDuring < 0) seenDuring = repo.names().length;
    if (!done) setImmediate(tick);
  };
  let done = false;
  setImmediate(tick);
  const change = await repo.reloadSliced(0);
  done = true;
  assert.ok(turns >= 20, `the loop had ${turns} turns`);
  assert.equal(seenDuring, 20, 'the old state answered during the reload');
  assert.equal(change.added.length, 20);
  assert.equal(repo.names().length, 40);
});

test('the line index gives the positions positionAt gives', () => {
  const rnd = prng(3);
  const text = Array.from({ length: 3000 }, () => (rnd() < 0.2 ? '\n' : rnd() < 0.1 ? '\r\n' : 'x')).join('');
  const index = new LineIndex(text);
  for (const offset of [0, 1, text.length - 1, text.length, text.length + 5, ...Array.from({ length: 300 }, () => Math.floor(rnd() * text.length))]) {
    assert.deepEqual(index.position(offset), positionAt(text, offset), `offset ${offset}`);
  }
});

test('problems are capped per file, the rest counted; positions stay right', () => {
  const r = loadArtifactText(`name: Custom.Many\nsources:\n  - query: |\n${'      SELECT 1 FROM scope()\n'.repeat(1000)}`, 'many.yaml');
  assert.equal(r.problems.length, MAX_FILE_PROBLEMS + 1);
  assert.equal(r.problems[0]!.line, 4);
  assert.equal(r.problems[99]!.line, 103);
  assert.deepEqual(r.problems[100], { file: 'many.yaml', line: 103, column: 7, severity: 'error', message: '899 more problems in this file are not listed' });
  // A double-quoted query: the statement positions follow the escapes.
  const dq = loadArtifactText('name: Custom.Dq\nsources:\n  - query: "SELECT \\"a\\" FROM scope()\\nSELECT 2 FROM scope()\\nSELECT 3 FROM scope()"\n');
  assert.deepEqual(dq.problems.map((p) => [p.line, p.column]), [[3, 13], [3, 40]]);
});

test('aliases: a few are fine, a bomb is refused where it goes off', () => {
  const fine = loadArtifactText(`name: Custom.Alias\nparameters:\n  - &p {name: A, default: x}\n  - {name: B, default: x}\nsources:\n  - query: SELECT 1 FROM scope()\n`);
  assert.ok(fine.loaded, JSON.stringify(fine.problems));
  let y = 'name: Custom.Bomb\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
  for (let i = 1; i < 8; i++) y += `a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]\n`;
  const bomb = loadArtifactText(y);
  assert.equal(bomb.problems.length, 1);
  assert.match(bomb.problems[0]!.message, /^YAML: the aliases \(\*name\) expand this file to more than \d+ characters, over twice its size \(a YAML alias bomb\?\)/);
  // a4 (line 6) is where the aliases pass the budget: 10 times a3's 21,100 characters.
  assert.equal(bomb.problems[0]!.line, 6);
});
