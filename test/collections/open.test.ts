// Opening collection zips: a member as a table (`table:open` kind `zip-entry`, main/app/tables.ts
// and collections.ts: streamed into the engine's folder, never unpacked next to the zip) and the
// same members through VQL (the `zip` accessor with parse_jsonl / parse_csv), on both container
// kinds: Velociraptor's offline collection (fixtures.ts) and the zip `vql artifacts collect
// --output` writes. Bad input: a JSON line that is not JSON, a damaged member, a binary upload,
// an encrypted collection; the rest opens and nothing is written into the zip.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bench } from '../tables/helpers.ts';
import { testRun, type TestRun } from '../host/collect/helpers.ts';
import { tableHandlers } from '../../main/app/tables.ts';
import { collectionHandlers } from '../../main/app/collections.ts';
import type { ServiceContext } from '../../main/app/service.ts';
import type { Result, TableInfo } from '../../main/ipc/contract.ts';
import { BASIC_INFO, damagedCollection, encryptedCollection, flowExport, huntExport, LOG, offlineCollection, PSLIST } from './fixtures.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`npm run build failed:\n${b.stdout}\n${b.stderr}`);
}

const b = bench();
let run: TestRun;
let VELO = '';
let OURS = '';
let DAMAGED = '';

/** The rows our artifact collects. */
const OUR_ROWS = [{ N: 1, Word: 'one' }, { N: 2, Word: 'two' }, { N: 3, Word: 'three' }];

before(() => {
  run = testRun();
  VELO = b.file('Collection-WIN-DC01.zip', Buffer.from(offlineCollection()));
  DAMAGED = b.file('damaged.zip', Buffer.from(damagedCollection()));
  const defs = join(b.dir, 'defs');
  mkdirSync(defs);
  writeFileSync(join(defs, 'Test.Collection.Words.yaml'), `name: Test.Collection.Words
sources:
  - name: Rows
    query: |
      SELECT * FROM foreach(row=[dict(N=1, Word='one'), dict(N=2, Word='two'), dict(N=3, Word='three')])
  - name: Files
    query: |
      SELECT upload(file='a,b\\n1,x\\n2,y\\n', accessor='data', name='C:\\\\logs\\\\small.csv') AS Upload,
             log(message='collected the words') AS Logged
      FROM scope()
`);
  OURS = join(b.dir, 'src', 'ours.zip');
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'vql.js'), 'artifacts', 'collect', 'Test.Collection.Words', '--definitions', defs, '--output', OURS], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
});
after(async () => {
  await run.close();
  b.dispose();
});

function handlers() {
  const ctx = { opts: { push: () => {} }, repo: { get: (n: string) => (n === 'Windows.System.Pslist' ? {} : undefined) } } as unknown as ServiceContext;
  return { t: tableHandlers(ctx, b.engine), c: collectionHandlers(ctx) };
}

function value<T>(r: Result<T>): T {
  assert.ok(r.ok, JSON.stringify(r));
  return r.value;
}

async function ready(h: ReturnType<typeof handlers>['t'], id: string): Promise<TableInfo> {
  for (;;) {
    const info = value(await h.invoke['table:info'](id));
    if (info.state !== 'loading') return info;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Opens a member, waits for the load, returns its info and rows as objects (without `_row`). */
async function openMember(h: ReturnType<typeof handlers>['t'], path: string, entry: string) {
  const first = value(await h.invoke['table:open']({ kind: 'zip-entry', path, entry }));
  const info = await ready(h, first.id);
  assert.equal(info.state, 'ready', JSON.stringify(info.error));
  const w = value(await h.invoke['table:window']({ id: info.id, offset: 0, limit: 1000 }));
  const rows = w.cells.map((c, n): Record<string, unknown> => ({ _row: w.rows[n], ...Object.fromEntries(w.columns.map((col, i) => [col.name, c[i]])) }));
  return { info, rows };
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const membersLeft = () => (existsSync(join(b.engine.folder, 'members')) ? readdirSync(join(b.engine.folder, 'members')) : []);
/** The streamed copies, once every load (and CSV quote scan) that reads one has ended. */
async function membersLeftWhenDone(): Promise<string[]> {
  for (let i = 0; i < 500 && membersLeft().length; i++) await new Promise((r) => setTimeout(r, 20));
  return membersLeft();
}

describe('VQL over collection zips (zip accessor, parse_jsonl, parse_csv)', () => {
  test("Velociraptor's offline collection", async () => {
    const { rows } = await run.query(`SELECT * FROM parse_jsonl(filename=pathspec(DelegatePath=ZIP, Path="results/Windows.System.Pslist.json"), accessor="zip")`, { ZIP: VELO });
    assert.deepEqual(rows, PSLIST);
    const { rows: basic } = await run.query(`SELECT * FROM parse_jsonl(filename=pathspec(DelegatePath=ZIP, Path="results/Generic.Client.Info%2FBasicInformation.json"), accessor="zip")`, { ZIP: VELO });
    assert.deepEqual(basic, BASIC_INFO);
    const { rows: log } = await run.query(`SELECT level, message FROM parse_jsonl(filename=pathspec(DelegatePath=ZIP, Path="log.json"), accessor="zip")`, { ZIP: VELO });
    assert.deepEqual(log, LOG.map((l) => ({ level: l.level, message: l.message })));
    const { rows: csv } = await run.query(`SELECT * FROM parse_csv(filename=pathspec(DelegatePath=ZIP, Path="uploads/file/var/log/syslog.csv"), accessor="zip")`, { ZIP: VELO });
    assert.deepEqual(csv.map((r) => r.Message), ['started', 'listening']);
    // A join in the console: the results with the collection's own host name.
    const { rows: joined } = await run.query(`
      LET info = SELECT Hostname FROM parse_jsonl(filename=pathspec(DelegatePath=ZIP, Path="results/Generic.Client.Info%2FBasicInformation.json"), accessor="zip")
      SELECT info[0].Hostname AS Host, Name FROM parse_jsonl(filename=pathspec(DelegatePath=ZIP, Path="results/Windows.System.Pslist.json"), accessor="zip") WHERE Pid > 100`, { ZIP: VELO });
    assert.deepEqual(joined, [{ Host: 'WIN-DC01', Name: 'smss.exe' }, { Host: 'WIN-DC01', Name: 'powershell.exe' }]);
  });

  test('the zip `vql artifacts collect --output` writes', async () => {
    const { rows } = await run.query(`SELECT * FROM parse_jsonl(filename=pathspec(DelegatePath=ZIP, Path="results/Test.Collection.Words%2FRows.json"), accessor="zip")`, { ZIP: OURS });
    assert.deepEqual(rows, OUR_ROWS);
    const { rows: log } = await run.query(`SELECT message FROM parse_jsonl(filename=pathspec(DelegatePath=ZIP, Path="log.json"), accessor="zip") WHERE message =~ 'collected the words'`, { ZIP: OURS });
    assert.equal(log.length, 1);
    const { rows: csv } = await run.query(`SELECT * FROM parse_csv(filename=pathspec(DelegatePath=ZIP, Path="uploads/data/C%3A/logs/small.csv"), accessor="zip")`, { ZIP: OURS });
    assert.deepEqual(csv, [{ a: '1', b: 'x' }, { a: '2', b: 'y' }]);
  });

  test('a JSON line that is not JSON is skipped with a log naming the zip, member and line; the other lines are read', async () => {
    const { rows, logs } = await run.query(`SELECT Pid FROM parse_jsonl(filename=pathspec(DelegatePath=ZIP, Path="results/Windows.Bad.Line.json"), accessor="zip")`, { ZIP: DAMAGED });
    assert.deepEqual(rows, [{ Pid: 4 }, { Pid: 424 }]);
    assert.ok(logs.some((l) => /damaged\.zip.*Windows\.Bad\.Line\.json.* line 2 is not JSON, skipped/.test(l)), logs.join('\n'));
  });
});

describe('table:open of a collection member', () => {
  test("Velociraptor's collection: listed, a source, the log and a CSV upload open as tables; the copy is removed; the zip is untouched", async () => {
    const h = handlers();
    const before = { sha: sha(VELO), mtime: statSync(VELO).mtimeMs };
    const l = value(await h.c['collection:list'](VELO));
    assert.equal(l.kind, 'velociraptor collection');
    assert.deepEqual(l.sources.filter((s) => !s.known).map((s) => s.artifact), ['Custom.Unknown.Thing', 'Generic.Client.Info']);
    const ps = await openMember(h.t, VELO, 'results/Windows.System.Pslist.json');
    assert.equal(ps.info.label, 'Collection-WIN-DC01.zip › Windows.System.Pslist');
    assert.deepEqual(ps.rows.map((r) => [r._row, r.Pid, r.Name]), [[1, 4, 'System'], [2, 424, 'smss.exe'], [3, 5120, 'powershell.exe']]);
    const unknown = await openMember(h.t, VELO, 'results/Custom.Unknown.Thing.json');
    assert.equal(unknown.info.rowCount, 1, 'results naming an unknown artifact open all the same');
    const log = await openMember(h.t, VELO, 'log.json');
    assert.deepEqual(log.rows.map((r) => r.level), ['DEFAULT', 'INFO', 'ERROR']);
    const csv = await openMember(h.t, VELO, 'uploads/file/var/log/syslog.csv');
    assert.deepEqual(csv.rows.map((r) => r.Message), ['started', 'listening']);
    const hosts = await openMember(h.t, VELO, 'uploads/auto/C%3A/Windows/System32/drivers/etc/hosts');
    assert.equal(hosts.info.rowCount >= 1, true, 'a text upload opens as a file table');
    assert.deepEqual(await membersLeftWhenDone(), [], 'the streamed copies are removed once loaded');
    assert.deepEqual({ sha: sha(VELO), mtime: statSync(VELO).mtimeMs }, before);
    assert.deepEqual(readdirSync(join(b.dir, 'src')).filter((n) => !n.endsWith('.zip')), [], 'nothing is unpacked next to the zip');
  });

  test('our `collect --output` zip: listed as ours, its sources and upload open', async () => {
    const h = handlers();
    const l = value(await h.c['collection:list'](OURS));
    assert.equal(l.kind, 'vql collection');
    assert.deepEqual(l.sources.map((s) => [s.name, s.rows]), [['Test.Collection.Words/Files', 1], ['Test.Collection.Words/Rows', 3]]);
    assert.deepEqual(l.uploads.map((u) => [u.accessor, u.path]), [['data', 'C:\\logs\\small.csv']]);
    const rows = await openMember(h.t, OURS, 'results/Test.Collection.Words%2FRows.json');
    assert.equal(rows.info.label, 'ours.zip › Test.Collection.Words/Rows');
    assert.deepEqual(rows.rows.map((r) => [r.N, r.Word]), OUR_ROWS.map((r) => [r.N, r.Word]));
    const up = await openMember(h.t, OURS, l.uploads[0]!.entry);
    assert.deepEqual(up.rows.map((r) => r.b), ['x', 'y']);
  });

  test('bad input: a line that is not JSON is a problem with the zip, member and line; a damaged member and a binary upload are refused by name; the rest opens', async () => {
    const h = handlers();
    const before = sha(DAMAGED);
    const bad = await openMember(h.t, DAMAGED, 'results/Windows.Bad.Line.json');
    assert.equal(bad.info.rowCount, 3);
    const probs = value(await h.t.invoke['table:problems']({ id: bad.info.id }));
    assert.deepEqual(probs.problems.map((p) => [p.file, p.line, p.reason]), [[`${DAMAGED} › results/Windows.Bad.Line.json`, 2, 'not valid JSON']]);
    const crc = await h.t.invoke['table:open']({ kind: 'zip-entry', path: DAMAGED, entry: 'results/Windows.Bad.Crc.json' });
    assert.equal(crc.ok, false);
    if (!crc.ok) assert.match(crc.error.message, /damaged\.zip: member results\/Windows\.Bad\.Crc\.json is damaged \(its checksum does not match\)/);
    const evil = await h.t.invoke['table:open']({ kind: 'zip-entry', path: DAMAGED, entry: '../evil.json' });
    assert.equal(evil.ok, false);
    const good = await openMember(h.t, DAMAGED, 'results/Windows.System.Pslist.json');
    assert.equal(good.info.rowCount, 3, 'the rest opens');
    // No preview of a binary file: the reply comes when its load has failed (a failed table is not kept).
    const failed = value(await h.t.invoke['table:open']({ kind: 'zip-entry', path: VELO, entry: 'uploads/ntfs/%5C%5C.%5CC%3A/$MFT' }));
    assert.equal(failed.state, 'failed');
    assert.match(failed.error?.message ?? '', /Collection-WIN-DC01\.zip › uploads\/ntfs\/%5C%5C\.%5CC%3A\/\$MFT looks binary/);
    assert.deepEqual(await membersLeftWhenDone(), []);
    assert.equal(sha(DAMAGED), before, 'nothing is written into the zip');
  });

  test("flow and hunt exports: a client's results, the combined results and a client's log open", async () => {
    const h = handlers();
    const flow = b.file('flow.zip', Buffer.from(flowExport()));
    const users = await openMember(h.t, flow, 'results/Linux.Sys.Users.json');
    assert.deepEqual(users.rows.map((r) => r.User), ['root', 'alice']);
    const hunt = b.file('hunt.zip', Buffer.from(huntExport()));
    const all = await openMember(h.t, hunt, 'results/All Linux.Sys.Users.json');
    assert.equal(all.info.label, 'hunt.zip › All Linux.Sys.Users');
    assert.deepEqual(all.rows.map((r) => [r.ClientId, r.Fqdn]), [['C.11', 'web1'], ['C.22', 'web2']]);
    const log = await openMember(h.t, hunt, 'web1-C.11/log.json');
    assert.equal(log.info.rowCount, 1);
  });

  test('a password-protected collection: listed as such; data.zip is refused with what to do; bad requests', async () => {
    const h = handlers();
    const p = b.file('locked.zip', Buffer.from(encryptedCollection()));
    const l = value(await h.c['collection:list'](p));
    assert.equal(l.kind, 'encrypted collection');
    const r = await h.t.invoke['table:open']({ kind: 'zip-entry', path: p, entry: 'data.zip' });
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error.message, /encrypted: extract the collection with its password first/);
    for (const req of [{ kind: 'zip-entry', path: 'rel.zip', entry: 'x' }, { kind: 'zip-entry', path: p }]) {
      const x = await h.t.invoke['table:open'](req as never);
      assert.equal(x.ok, false);
      if (!x.ok) assert.equal(x.error.code, 'BadRequest');
    }
    const missing = await h.t.invoke['table:open']({ kind: 'zip-entry', path: p, entry: 'results/None.json' });
    assert.equal(!missing.ok && missing.error.code, 'NotFound');
    const notZip = await h.c['collection:list'](b.file('plain.txt', 'hello'));
    assert.equal(!notZip.ok && notZip.error.code, 'CollectionError');
  });

});
