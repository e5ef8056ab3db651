// Which files an import reads, in which order, and the name its export gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareNames, exportNameOf, orderFiles } from '../../renderer/lib/csv/files.ts';

const named = (...names: string[]) => names.map((name) => ({ name, file: new Blob([]) }));

test('daily files in day order, schema-change parts after their day, numbers compared as numbers', () => {
  const names = ['2024-01-10.csv', '2024-01-02.1.csv', '2024-01-02.csv', '2024-01-02.10.csv', '2024-01-02.2.csv', '2023-12-31.csv'];
  assert.deepEqual([...names].sort(compareNames), ['2023-12-31.csv', '2024-01-02.csv', '2024-01-02.1.csv', '2024-01-02.2.csv', '2024-01-02.10.csv', '2024-01-10.csv']);
  assert.deepEqual(['log9.txt', 'log10.txt', 'log1.txt'].sort(compareNames), ['log1.txt', 'log9.txt', 'log10.txt']);
});

test('a folder keeps CSV-like files and skips hidden ones; picked files are all read', () => {
  const files = named('f/b.csv', 'f/notes.md', 'f/.hidden.csv', 'f/.git/x.csv', 'f/a.TSV', 'f/c.txt');
  assert.deepEqual(orderFiles(files, true).map((f) => f.name), ['f/a.TSV', 'f/b.csv', 'f/c.txt']);
  assert.deepEqual(orderFiles(named('z.log', 'a.dat'), false).map((f) => f.name), ['a.dat', 'z.log']);
});

test('export names: the file, or the folder of several files', () => {
  assert.equal(exportNameOf(named('events.csv')), 'events');
  assert.equal(exportNameOf(named('Generic.Client.Stats/2024-01-02.csv', 'Generic.Client.Stats/2024-01-03.csv')), 'Generic.Client.Stats');
  assert.equal(exportNameOf(named('a.csv', 'b.csv')), 'a');
});
