// The page of measured numbers (scripts/bench-report.ts, scripts/bench-record.ts): benchmark
// records written to test-results/ become docs/numbers.md, with date, machine, each measure and
// its target met or missed; records are kept in docs/numbers.json so a benchmark not run again
// keeps its last result, and an older file never replaces a newer result. Real files in a
// temporary repository layout.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentMachine, writeBenchRecord, type BenchMachine } from '../../scripts/bench-record.ts';
import { mergeRecords, readRecords, renderNumbers, verdict, writeNumbersPage } from '../../scripts/bench-report.ts';

const quiet: BenchMachine = { cores: 2, cpu: 'Test CPU', load: [0.5, 0.4, 0.3], node: 'v20.19.0', platform: 'linux-x64' };

describe('bench-report: docs/numbers.md from the benchmarks\' records', () => {
  const root = mkdtempSync(join(tmpdir(), 'vql-numbers-'));
  mkdirSync(join(root, 'docs'));
  after(() => rmSync(root, { recursive: true, force: true }));

  test('the machine is recorded: cores, CPU, load average, Node', () => {
    const m = currentMachine();
    assert.ok(m.cores >= 1);
    assert.equal(m.load.length, 3);
    assert.equal(m.node, process.version);
  });

  test('a met and a missed target, with a value of each kind', () => {
    assert.equal(verdict({ name: 'a', value: 9, unit: 'ms', target: { max: 10, text: '≤ 10 ms' } }), 'met');
    assert.equal(verdict({ name: 'a', value: 11, unit: 'ms', target: { max: 10, text: '≤ 10 ms' } }), '**missed**');
    assert.equal(verdict({ name: 'a', value: 5, unit: 'MB/s', target: { min: 100, text: '≥ 100 MB/s' } }), '**missed**');
    assert.equal(verdict({ name: 'a', value: 5, unit: 'MB' }), '');
  });

  test('records, the older bench-csv.json and a stray file become the page', () => {
    writeBenchRecord(
      {
        bench: 'engine',
        title: 'The engine',
        command: 'npm run bench',
        measures: [
          { name: 'Range10k', value: 8.9, unit: 'ms', target: { max: 10, text: '≤ 10 ms' } },
          { name: 'GroupBy100k', value: 150.2, unit: 'ms', target: { max: 100, text: '≤ 100 ms' } },
        ],
      },
      { root, date: new Date('2026-01-02T03:04:00Z'), machine: quiet },
    );
    writeFileSync(
      join(root, 'test-results', 'bench-csv.json'),
      JSON.stringify([{ rows: 1_000_000, fileMB: 151.2, anchorMs: 1000, firstRowsMs: 287, loadedMs: 1700, ratio: 1.7, loadAverage: '7.5 6 5', ops: { 'sort CPU': 110 } }]),
    );
    writeFileSync(join(root, 'test-results', 'bench-stray.json'), '[1, 2]');
    const { page, records, unreadable } = writeNumbersPage(root);
    assert.deepEqual(records.map((r) => r.bench), ['csv', 'engine']);
    assert.deepEqual(unreadable.map((u) => u.file), ['bench-stray.json']);
    const md = readFileSync(page, 'utf8');
    assert.match(md, /\| \[The engine\]\(#engine\) \| `npm run bench` \| 2026-01-02 03:04 UTC \| 2 cores, load 0.5 \| 1 of 2 \*\*missed\*\* \|/);
    assert.match(md, /on 2 cores \(Test CPU\), load 0.5 \/ 0.4 \/ 0.3, Node v20.19.0, linux-x64\./);
    assert.match(md, /\| Range10k \| 8.9 ms \| ≤ 10 ms \| met \|/);
    assert.match(md, /\| GroupBy100k \| 150 ms \| ≤ 100 ms \| \*\*missed\*\* \|/);
    assert.match(md, /1,000,000 rows \(151 MB\): fully loaded, × DuckDB's read_csv_auto \| 1.7× \(1.7 s against 1.0 s\) \| ≤ 1.5× \| \*\*missed\*\*/);
    assert.match(md, /load 7.5 \(busy\)/, 'a load above the core count is flagged');
    assert.match(md, /sort CPU, first screen \| 110 ms \| ≤ 0.5 s \| met/);
    assert.ok(existsSync(join(root, 'docs', 'numbers.json')));
  });

  test('a benchmark not run again keeps its last result; an older file does not replace a newer one', () => {
    rmSync(join(root, 'test-results'), { recursive: true });
    writeBenchRecord(
      { bench: 'engine', title: 'The engine', command: 'npm run bench', measures: [{ name: 'Range10k', value: 99, unit: 'ms' }] },
      { root, date: new Date('2025-01-01T00:00:00Z'), machine: quiet },
    );
    const { records } = writeNumbersPage(root);
    assert.deepEqual(records.map((r) => r.bench), ['csv', 'engine'], 'csv kept from docs/numbers.json');
    assert.equal(records.find((r) => r.bench === 'engine')!.measures[0]!.value, 8.9, 'the 2026 result stays');
    const md = readFileSync(join(root, 'docs', 'numbers.md'), 'utf8');
    assert.match(md, /Range10k \| 8.9 ms/);
    // A newer run replaces it.
    writeBenchRecord(
      { bench: 'engine', title: 'The engine', command: 'npm run bench', measures: [{ name: 'Range10k', value: 7.5, unit: 'ms' }] },
      { root, date: new Date('2026-06-01T00:00:00Z'), machine: quiet },
    );
    assert.equal(writeNumbersPage(root).records.find((r) => r.bench === 'engine')!.measures[0]!.value, 7.5);
  });

  test('bench-csv.json takes its date from the file; a record id that cannot name a file is refused', () => {
    const dir = join(root, 'test-results');
    writeFileSync(join(dir, 'bench-csv.json'), JSON.stringify([{ rows: 10, fileMB: 1, anchorMs: 10, firstRowsMs: 5, loadedMs: 12, ratio: 1.2 }]));
    utimesSync(join(dir, 'bench-csv.json'), new Date('2026-03-03T10:00:00Z'), new Date('2026-03-03T10:00:00Z'));
    const csv = readRecords(dir).records.find((r) => r.bench === 'csv')!;
    assert.equal(csv.date, '2026-03-03T10:00:00.000Z');
    assert.throws(() => writeBenchRecord({ bench: '../x', title: 't', command: 'c', measures: [] }, { root }), /bench id '\.\.\/x'/);
  });

  test('merge and render without any record say so', () => {
    assert.deepEqual(mergeRecords([], []), []);
    assert.match(renderNumbers([]), /No benchmark has written a result yet: run `npm run bench`\./);
  });
});
