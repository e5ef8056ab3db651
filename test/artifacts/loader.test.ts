// The artifact loader (VELOCIRAPTOR.md 1.1-1.5, STYLE.md 8): loadArtifactText and
// loadArtifactFile. Every problem must name file:line:column; the positions asserted here are
// exact (1-based, counted by hand from the YAML below). VQL errors inside a query point at the
// YAML line and column of the bad token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatProblem, loadArtifactFile, loadArtifactText, type ArtifactProblem, type LoadResult } from '../../main/artifacts/index.ts';

const FILE = 'Custom.Test.yaml';

/** `line:column severity: message` of every problem, for readable failures. */
function show(r: LoadResult): string {
  return r.problems.map((p) => `${p.line}:${p.column} ${p.severity}: ${p.message}`).join('\n') || '(no problems)';
}

function errors(r: LoadResult): ArtifactProblem[] {
  return r.problems.filter((p) => p.severity === 'error');
}

/** Loads `text` and asserts it fails with exactly one error at `line:column` matching `message`. */
function expectError(text: string, line: number, column: number, message: RegExp): ArtifactProblem {
  const r = loadArtifactText(text, FILE);
  assert.equal(r.loaded, undefined, `expected a failure, got an artifact:\n${show(r)}`);
  const errs = errors(r);
  assert.equal(errs.length, 1, `expected one error:\n${show(r)}`);
  const p = errs[0]!;
  assert.equal(p.file, FILE);
  assert.equal(`${p.line}:${p.column}`, `${line}:${column}`, `position of: ${p.message}`);
  assert.match(p.message, message);
  assert.ok(formatProblem(p).startsWith(`${FILE}:${line}:${column}: error: `), formatProblem(p));
  return p;
}

/** Loads `text`, asserting it loads with no error. */
function expectLoad(text: string) {
  const r = loadArtifactText(text, FILE);
  assert.deepEqual(errors(r), [], show(r));
  assert.ok(r.loaded, show(r));
  return r.loaded.artifact;
}

const Q = '  - query: SELECT 1 AS X FROM scope()\n';

// ---------------------------------------------------------------- errors with positions

test('malformed YAML: the position js-yaml reports (a badly indented entry)', () => {
  expectError('name: Custom.X\nsources:\n  - query: SELECT 1\n   bad: [\n', 4, 4, /^YAML: bad indentation/);
});

test('malformed YAML: a tab used as indentation', () => {
  expectError('name: Custom.X\nsources:\n\t- query: SELECT 1 FROM scope()\n', 3, 1, /^YAML: .*tab/);
});

test('malformed YAML: a second document is refused', () => {
  expectError('name: Custom.X\nsources:\n' + Q + '---\nname: Custom.Y\n', 1, 1, /one artifact per file/);
});

test('unknown top-level key: at the key, with "did you mean" and the known fields', () => {
  const p = expectError('name: Custom.X\ndescriptin: hi\nsources:\n' + Q, 2, 1, /unknown field 'descriptin' in artifact/);
  assert.match(p.message, /did you mean `description`\?/);
  assert.match(p.message, /Known fields: name, aliases, description/);
});

test('unknown key in a source: at the key, with "did you mean"', () => {
  const p = expectError('name: Custom.X\nsources:\n  - name: A\n    querry: SELECT 1 FROM scope()\n', 4, 5, /unknown field 'querry' in source/);
  assert.match(p.message, /did you mean `query`\?/);
});

test('unknown key in a parameter: at the key, with "did you mean"', () => {
  const p = expectError('name: Custom.X\nparameters:\n  - name: A\n    defualt: 1\nsources:\n' + Q, 4, 5, /unknown field 'defualt' in parameter/);
  assert.match(p.message, /did you mean `default`\?/);
});

test('wrong type: a mapping where text is expected', () => {
  expectError('name: Custom.X\ndescription:\n  a: b\nsources:\n' + Q, 3, 3, /^description: expected text, found a mapping/);
});

test('wrong type: a non-integer resources.max_rows', () => {
  expectError('name: Custom.X\nresources:\n  max_rows: 1.5\nsources:\n' + Q, 3, 13, /^resources\.max_rows: expected an integer, found '1\.5'/);
});

test('wrong type: a scalar where the resources mapping is expected', () => {
  expectError('name: Custom.X\nresources: 5\nsources:\n' + Q, 2, 12, /^resources: expected a mapping/);
});

test('duplicate key at the top level: at the second occurrence', () => {
  expectError('name: Custom.X\nsources:\n' + Q + 'name: Custom.Y\n', 4, 1, /duplicate key 'name' in artifact/);
});

test('duplicate key inside a source', () => {
  expectError('name: Custom.X\nsources:\n  - query: SELECT 1 FROM scope()\n    query: SELECT 2 FROM scope()\n', 4, 5, /duplicate key 'query' in source/);
});

test('invalid name: a character outside [a-zA-Z0-9_.]', () => {
  expectError('name: Custom.X-Y\nsources:\n' + Q, 1, 7, /invalid artifact name 'Custom\.X-Y'/);
});

test('invalid name: a dot-separated part starting with a digit', () => {
  expectError('name: Custom.1X\nsources:\n' + Q, 1, 7, /part '1X' starts with a digit/);
});

test('missing name', () => {
  expectError('description: no name\nsources:\n' + Q, 1, 1, /missing name/);
});

test('invalid type: at the value, listing the valid ones', () => {
  expectError('name: Custom.X\ntype: CLIENTS\nsources:\n' + Q, 2, 7, /Artifact type CLIENTS invalid.*CLIENT_EVENT/);
});

test('a precondition at both levels: at the source precondition', () => {
  expectError(
    'name: Custom.X\nprecondition: SELECT * FROM info()\nsources:\n  - precondition: SELECT * FROM info()\n    query: SELECT 1 FROM scope()\n',
    4, 19, /top level precondition and a source precondition/,
  );
});

test('LET ordering: a SELECT before the last statement', () => {
  expectError(
    'name: Custom.X\nsources:\n  - query: |\n      SELECT 1 AS X FROM scope()\n      SELECT 2 AS X FROM scope()\n',
    4, 7, /only the last statement .* may be a SELECT/,
  );
});

test('LET ordering: a LET as the last statement', () => {
  expectError(
    'name: Custom.X\nsources:\n  - query: |\n      LET a = SELECT 1 AS X FROM scope()\n      LET b = SELECT 2 AS X FROM scope()\n',
    5, 7, /last statement of a source query must be a SELECT/,
  );
});

test('VQL parse error inside a `query: |` block: the YAML line and column of the bad token', () => {
  //                                     col 7 ↓                 col 29 ↓
  expectError('name: Custom.X\nsources:\n  - query: |\n      LET a = SELECT 1 AS X FROM scope()\n      SELECT * FROM a WHERE )\n', 5, 29, /^VQL: .*WHERE.*'\)'/);
});

test('VQL parse error in a block with an explicit indentation indicator (|4)', () => {
  expectError('name: Custom.X\nsources:\n  - query: |4\n        SELECT * FROM scope() WHERE )\n', 4, 37, /^VQL: /);
});

test('VQL parse error at the end of an export block: just after the last character', () => {
  expectError('name: Custom.X\nexport: |\n  LET a = SELECT * FROM scope(\nsources:\n' + Q, 3, 31, /^VQL: .*end of input/);
});

test('VQL parse error in a plain single-line query', () => {
  expectError('name: Custom.X\nsources:\n  - query: SELECT * FROM scope() WHERE )\n', 3, 40, /^VQL: /);
});

// Single-line quoted scalars: the column of the bad token, counting the opening quote.
// `  - precondition: 'SELECT * FROM info() WHERE )'`: the quote is column 19, S column 20,
// `)` column 47.
test('VQL parse error in a single-quoted one-line precondition', () => {
  expectError("name: Custom.X\nsources:\n  - precondition: 'SELECT * FROM info() WHERE )'\n    query: SELECT 1 FROM scope()\n", 3, 47, /^VQL: /);
});

test('VQL parse error in a double-quoted one-line query', () => {
  // `  - query: "SELECT * FROM scope() WHERE )"`: the quote is column 12, `)` column 41.
  expectError('name: Custom.X\nsources:\n  - query: "SELECT * FROM scope() WHERE )"\n', 3, 41, /^VQL: /);
});

// A plain (or quoted) scalar may continue on more-indented lines; YAML folds the line break
// into a space, but the error must still point at the line where the bad token is written.
test('VQL parse error on the continuation line of a multi-line plain query', () => {
  expectError('name: Custom.X\nsources:\n  - query: SELECT * FROM scope()\n      WHERE )\n', 4, 13, /^VQL: /);
});

test('VQL parse error on the continuation line of a multi-line double-quoted query', () => {
  expectError('name: Custom.X\nsources:\n  - query: "SELECT * FROM scope()\n      WHERE )"\n', 4, 13, /^VQL: /);
});

test('VQL parse error after a bare `query:` line (sanitized into a block): positions unchanged', () => {
  expectError('name: Custom.X\nsources:\n  - query:\n      LET a = SELECT 1 AS X FROM scope()\n      SELECT * FROM a WHERE )\n', 5, 29, /^VQL: /);
});

test('VQL parse error in a CRLF file: same position as with LF', () => {
  expectError('name: Custom.X\r\nsources:\r\n  - query: |\r\n      LET a = SELECT 1 AS X FROM scope()\r\n      SELECT * FROM a WHERE )\r\n', 5, 29, /^VQL: /);
});

// YAML (js-yaml, and Velociraptor's Go parser) reads a lone CR as a line break, so every
// position must count it as one too, not only the YAML syntax errors.
test('a file with lone CR line ends (old Mac): positions count CR as a line break', () => {
  expectError('name: Custom.X\rdescriptin: x\rsources:\r  - query: SELECT 1 FROM scope()\r', 2, 1, /unknown field 'descriptin'/);
  expectError('name: Custom.X\rsources:\r  - query: SELECT * FROM scope() WHERE )\r', 3, 40, /^VQL: /);
});

test('a list item of the wrong kind is an error at the item, not a crash', () => {
  const cases: Array<[string, number, number, RegExp]> = [
    ['name: Custom.X\nsources:\n  - SELECT 1 FROM scope()\n', 3, 5, /^sources\.0: expected a mapping/],
    ['name: Custom.X\nsources:\n  - - query: SELECT 1 FROM scope()\n', 3, 5, /^sources\.0: expected a mapping/],
    ['name: Custom.X\nparameters:\n  - Name\nsources:\n' + Q, 3, 5, /^parameters\.0: expected a mapping/],
    ['name: Custom.X\nsources:\n  - query: SELECT 1 FROM scope()\n    notebook:\n      - vql\n', 5, 9, /^sources\.0\.notebook\.0: expected a mapping/],
    ['name: Custom.X\nreports:\n  - x\nsources:\n' + Q, 3, 5, /^reports\.0: expected a mapping/],
  ];
  for (const [text, line, column, message] of cases) {
    let r: LoadResult;
    assert.doesNotThrow(() => {
      r = loadArtifactText(text, FILE);
    }, JSON.stringify(text));
    const errs = errors(r!);
    assert.equal(r!.loaded, undefined);
    assert.ok(errs.some((p) => p.line === line && p.column === column && message.test(p.message)), `${JSON.stringify(text)}:\n${show(r!)}`);
  }
});

test('an empty file (and one with only comments) is one error at 1:1', () => {
  expectError('', 1, 1, /empty file/);
  expectError('\n# only a comment\n', 1, 1, /empty file/);
});

test('an unknown notebook cell type is an error at the cell type', () => {
  expectError('name: Custom.X\nsources:\n  - query: SELECT 1 FROM scope()\n    notebook:\n      - type: Foo\n', 5, 15, /notebook cell type 'Foo'/);
});

test('several problems are all reported, in file order', () => {
  const r = loadArtifactText('name: Custom.X\ndescriptin: a\nsources:\n  - querry: SELECT 1 FROM scope()\n', FILE);
  assert.equal(r.loaded, undefined);
  assert.deepEqual(errors(r).map((p) => `${p.line}:${p.column}`), ['2:1', '4:5'], show(r));
});

test('loadArtifactFile: problems name the file path; an unreadable file is one problem at 1:1', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vql-loader-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'Bad.yaml');
  writeFileSync(path, 'name: Custom.Bad\nsourcez:\n' + Q);
  const r = loadArtifactFile(path);
  assert.equal(r.loaded, undefined);
  assert.equal(r.problems.length, 1, show(r));
  assert.ok(formatProblem(r.problems[0]!).startsWith(`${path}:2:1: error: unknown field 'sourcez'`), formatProblem(r.problems[0]!));

  const good = join(dir, 'Good.yaml');
  writeFileSync(good, 'name: Custom.Good\nsources:\n' + Q);
  const g = loadArtifactFile(good, true);
  assert.ok(g.loaded, show(g));
  assert.equal(g.loaded.file, good);
  assert.equal(g.loaded.builtIn, true);
  assert.equal(g.loaded.raw, 'name: Custom.Good\nsources:\n' + Q);

  const missing = loadArtifactFile(join(dir, 'Missing.yaml'));
  assert.equal(missing.loaded, undefined);
  assert.equal(missing.problems.length, 1);
  assert.equal(missing.problems[0]!.file, join(dir, 'Missing.yaml'));
  assert.equal(`${missing.problems[0]!.line}:${missing.problems[0]!.column}`, '1:1');
  assert.match(missing.problems[0]!.message, /cannot read/);
});

// ---------------------------------------------------------------- successes

test('type is case-insensitive and stored lower-case; absent means client', () => {
  assert.equal(expectLoad('name: Custom.X\ntype: Client_Event\nsources:\n' + Q).type, 'client_event');
  assert.equal(expectLoad('name: Custom.X\ntype: server\nsources:\n' + Q).type, 'server');
  assert.equal(expectLoad('name: Custom.X\nsources:\n' + Q).type, 'client');
});

test('unquoted defaults stay source text', () => {
  const a = expectLoad([
    'name: Custom.X',
    'parameters:',
    '  - name: A',
    '    default: 10',
    '  - name: B',
    '    default: 2020-01-01',
    '  - name: C',
    '    default: true',
    '  - name: D',
    '    default: 0x1F',
    '  - name: E',
    '    default: 1.50',
    '  - name: F',
    '    default:',
    '  - name: G',
    '    default: "80"',
    'sources:',
    Q,
  ].join('\n'));
  assert.deepEqual(a.parameters!.map((p) => p.default), ['10', '2020-01-01', 'true', '0x1F', '1.50', '', '80']);
  for (const p of a.parameters!) assert.equal(typeof p.default, 'string', p.name);
});

test('the deprecated queries: list is joined into query (and queries is cleared)', () => {
  const a = expectLoad('name: Custom.X\nsources:\n  - queries:\n      - LET a = SELECT 1 AS X FROM scope()\n      - SELECT * FROM a\n');
  assert.equal(a.sources![0]!.query, 'LET a = SELECT 1 AS X FROM scope()\nSELECT * FROM a');
  assert.equal(a.sources![0]!.queries, undefined);
});

test('a queries: list item spanning lines keeps its newlines (sanitized into a literal block, VELOCIRAPTOR.md 1.1 step 1)', () => {
  // Folded as a plain scalar, the `-- one` comment would swallow the WHERE line.
  const a = expectLoad('name: Custom.X\nsources:\n  - queries:\n      - LET a = SELECT 1 AS X FROM scope() -- one\n        WHERE TRUE\n      - SELECT * FROM a\n');
  assert.match(a.sources![0]!.query!, /-- one\nWHERE TRUE/);
});

test('a bare `query:` line becomes a literal block: newlines and -- comments survive', () => {
  const a = expectLoad([
    'name: Custom.X',
    'precondition:',
    '  SELECT * FROM info() -- any OS',
    'sources:',
    '  - query:',
    '      LET a = SELECT 1 AS X FROM scope() -- a comment',
    '      -- a comment line',
    '      SELECT * FROM a',
    '',
  ].join('\n'));
  assert.equal(a.sources![0]!.query, 'LET a = SELECT 1 AS X FROM scope() -- a comment\n-- a comment line\nSELECT * FROM a\n');
  assert.equal(a.precondition, 'SELECT * FROM info() -- any OS\n');
});

test('CRLF files load, with LF line ends in the values', () => {
  const a = expectLoad('name: Custom.X\r\ndescription: |\r\n  line1\r\n  line2\r\nsources:\r\n  - query: |\r\n      LET a = SELECT 1 AS X FROM scope()\r\n      SELECT * FROM a\r\n');
  assert.equal(a.name, 'Custom.X');
  assert.equal(a.description, 'line1\nline2\n');
  assert.equal(a.sources![0]!.query, 'LET a = SELECT 1 AS X FROM scope()\nSELECT * FROM a\n');
});

test('notebook cell types are lower-cased', () => {
  const a = expectLoad([
    'name: Custom.X',
    'sources:',
    '  - query: SELECT 1 AS X FROM scope()',
    '    notebook:',
    '      - type: VQL',
    '        template: SELECT 1 FROM scope()',
    '      - type: Markdown',
    '        template: hi',
    '      - type: vql_suggestion',
    '',
  ].join('\n'));
  assert.deepEqual(a.sources![0]!.notebook!.map((c) => c.type), ['vql', 'markdown', 'vql_suggestion']);
});

test('internal fields (raw, built_in, compiled_in, is_alias, metadata) are accepted and ignored', () => {
  const a = expectLoad('name: Custom.X\nraw: whatever\nbuilt_in: true\ncompiled_in: true\nis_alias: false\nmetadata:\n  hidden: true\nsources:\n' + Q);
  for (const k of ['raw', 'built_in', 'compiled_in', 'is_alias', 'metadata']) assert.equal(k in a, false, k);
  assert.equal(a.name, 'Custom.X');
});

test('the loaded artifact keeps the raw text, and positions of fields', () => {
  const text = 'name: Custom.X\nimports:\n  - Custom.A\n  - Custom.B\nsources:\n' + Q;
  const r = loadArtifactText(text, FILE);
  assert.ok(r.loaded, show(r));
  assert.equal(r.loaded.raw, text);
  assert.equal(r.loaded.file, FILE);
  assert.deepEqual(r.loaded.position('imports.1'), { line: 4, column: 5 });
  // Offset 16 of the query (`FROM`) is on line 6, column 12 + 16.
  assert.deepEqual(r.loaded.locate('sources.0.query', 16), { line: 6, column: 28 });
});

test('an unknown parameter type is a warning, not an error', () => {
  const r = loadArtifactText('name: Custom.X\nparameters:\n  - name: A\n    type: wibble\nsources:\n' + Q, FILE);
  assert.ok(r.loaded, show(r));
  const w = r.problems.filter((p) => p.severity === 'warning');
  assert.equal(w.length, 1, show(r));
  assert.equal(`${w[0]!.line}:${w[0]!.column}`, '4:11');
  assert.match(w[0]!.message, /unknown parameter type 'wibble'/);
});

