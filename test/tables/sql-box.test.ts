// The SQL box (main/tables/sql.ts) is no new way to reach files, the network or settings:
// the database is locked down once loaded, and only one read-only query runs. Each refusal is
// checked by its effect too (no file appears).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bench } from './helpers.ts';
import type { OpenTable } from '../../main/tables/table.ts';

const b = bench();
let t: OpenTable;
before(async () => {
  t = await b.open(b.file('s.csv', 'a,b\n1,x\n2,y\n3,x\n'));
});
after(() => b.dispose());

test('read-only queries run: SELECT, FROM-first, DESCRIBE, SUMMARIZE, CTEs; rows are limited', async () => {
  const r = await t.sql('SELECT b, count(*) AS n FROM data GROUP BY b ORDER BY b');
  assert.deepEqual(r.columns.map((c) => [c.name, c.type]), [['b', 'text'], ['n', 'number']]);
  assert.deepEqual(r.cells, [['x', 2], ['y', 1]]);
  assert.equal((await t.sql('FROM data')).cells.length, 3);
  assert.ok((await t.sql('DESCRIBE data')).cells.length >= 3);
  assert.ok((await t.sql('SUMMARIZE data')).cells.length >= 2);
  assert.deepEqual((await t.sql('WITH x AS (SELECT a FROM data) SELECT sum(a) FROM x')).cells, [[6]]);
  const lim = await t.sql('SELECT * FROM range(10)', 4);
  assert.equal(lim.cells.length, 4);
  assert.equal(lim.truncated, true);
});

const out = () => join(b.dir, 'evil-out');
const REFUSED: Array<[string, RegExp]> = [
  [`COPY data TO '${join(b.dir, 'evil-out.csv')}'`, /cannot read or write files|only queries/],
  [`COPY (SELECT 1) TO '${join(b.dir, 'evil-out.parquet')}' (FORMAT parquet)`, /cannot read or write files|only queries/],
  ["SELECT * FROM read_csv('/etc/passwd')", /cannot read or write files/],
  ["SELECT * FROM read_text('/etc/hostname')", /cannot read or write files/],
  ["SELECT * FROM '/etc/passwd'", /cannot read or write files|does not exist|Catalog/],
  ["SELECT * FROM glob('/etc/*')", /cannot read or write files/],
  [`ATTACH '${join(b.dir, 'evil-out.db')}' AS x`, /cannot read or write files|only queries/],
  ["ATTACH ':memory:' AS x", /only queries/],
  ['INSTALL httpfs', /cannot read or write files|only queries/],
  ['LOAD httpfs', /cannot read or write files|only queries|extensions/],
  ["SELECT * FROM read_csv('https://example.invalid/x.csv')", /cannot read or write files|extensions|httpfs/i],
  ['SET enable_external_access = true', /only queries|change settings/],
  ["SET memory_limit = '100GB'", /only queries|change settings/],
  ['PRAGMA enable_profiling', /only queries|change settings/],
  ['CREATE TABLE x AS SELECT 1', /only queries/],
  ['DROP TABLE data', /only queries/],
  ['DELETE FROM data', /only queries/],
  ["UPDATE data SET b = 'z'", /only queries/],
  ['INSERT INTO data (a) VALUES (9)', /only queries/],
  ['DELETE FROM data_rows', /only queries/],
  ['INSERT INTO tags VALUES (1)', /only queries/],
  [`EXPORT DATABASE '${join(b.dir, 'evil-out-db')}'`, /only queries|cannot read or write files/],
  ['CHECKPOINT', /only queries/],
  ['SELECT 1; DROP TABLE data', /one statement at a time/],
  ["SELECT * FROM query('DROP TABLE data')", /SELECT|single/i],
  ['', /write a query/],
];

for (const [sql, message] of REFUSED) {
  test(`refused: ${sql || '(empty)'}`, async () => {
    await assert.rejects(t.sql(sql), (e: Error & { code?: string }) => {
      assert.match(e.message, message);
      return true;
    });
  });
}

test('after all of that: no file was written, the table is intact, settings unchanged', async () => {
  assert.deepEqual(readdirSync(b.dir).filter((f) => f.startsWith('evil-out')), []);
  assert.equal(existsSync(out()), false);
  assert.deepEqual((await t.sql('SELECT count(*) FROM data')).cells, [[3]]);
  assert.deepEqual((await t.sql("SELECT current_setting('enable_external_access'), current_setting('lock_configuration'), current_setting('autoinstall_known_extensions'), current_setting('autoload_known_extensions')")).cells, [[false, true, false, false]]);
});
