// Velociraptor's Generic.Forensic.LocalHashes.Glob and .Query, run unchanged from
// ../shared/velociraptor-artifacts with the built-in Generic.Forensic.LocalHashes.Init
// (artifacts/Generic.Forensic.LocalHashes.Init.yaml): Glob hashes a folder of files into the
// local hash database (<datastore>/local/hashdb.sqlite, written by sqlite() INSERTs), and a
// later run of Query, with a fresh registry and temp folder, finds a file by its MD5.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Repository, installArtifactPlugins, runArtifact } from '../../main/artifacts/index.ts';
import { ToolInventory, attachTools } from '../../main/artifacts/tools.ts';
import { createHostRegistry } from '../../main/host/index.ts';
import { finishRun, type RunFiles } from '../../main/host/collect/run-files.ts';
import { toJSON, type Registry, type Value } from '../../main/vql/index.ts';

const CORPUS = fileURLToPath(new URL('../../../shared/velociraptor-artifacts/', import.meta.url));
const skip = existsSync(join(CORPUS, 'Generic/Forensic/LocalHashes'))
  ? false
  : `../shared/velociraptor-artifacts is absent (${CORPUS}): the LocalHashes artifacts are not run`;
if (skip) console.log(`# ${skip}`);

type Row = Record<string, unknown>;

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

describe('Generic.Forensic.LocalHashes.Glob then .Query (Velociraptor\'s, unchanged)', { skip }, () => {
  const TMP = mkdtempSync(join(tmpdir(), 'vql-localhashes-'));
  // A datastore of the test's own: the tools folder <datastore>/tools gives <datastore>/local.
  const datastore = join(TMP, 'datastore');
  const files = join(TMP, 'files');
  const contents: Record<string, Buffer> = {
    'a.txt': Buffer.from('hello\n'),
    'b.bin': Buffer.from(Array.from({ length: 70000 }, (_, i) => (i * 7) % 256)),
    'sub/c.txt': Buffer.from('in a sub folder: thé, café\n'),
    'empty': Buffer.alloc(0),
  };
  let repo: Repository;
  let runs = 0;
  const registries: Registry[] = [];

  before(() => {
    repo = new Repository({ definitions: [CORPUS] });
    mkdirSync(join(files, 'sub'), { recursive: true });
    for (const [name, data] of Object.entries(contents)) writeFileSync(join(files, name), data);
  });
  after(async () => {
    for (const r of registries) await finishRun(r);
    rmSync(TMP, { recursive: true, force: true });
  });

  /** One run of `name` with a fresh registry (its own temp folder), as a separate collection. */
  async function run(name: string, params: Record<string, string>, withDatastore = true): Promise<{ rows: Row[]; logs: string[]; temp: string }> {
    const runFiles: RunFiles = { tempDir: join(TMP, `run-${++runs}`), uploadDir: null };
    const registry = createHostRegistry({ files: runFiles, network: 'loopback' });
    registries.push(registry);
    installArtifactPlugins(registry, repo);
    if (withDatastore) attachTools(registry, new ToolInventory({ dir: join(datastore, 'tools'), localDir: join(datastore, 'local') }));
    const a = repo.get(name);
    assert.ok(a, `${name} is loaded`);
    const rows: Value[] = [];
    const logs: string[] = [];
    for await (const batch of runArtifact(repo, a, new Map(Object.entries(params)), {
      registry, signal: new AbortController().signal, log: (l, m) => logs.push(`${l}: ${m}`),
    })) rows.push(...batch);
    return { rows: JSON.parse(toJSON(rows)) as Row[], logs, temp: runFiles.tempDir };
  }

  const problems = (logs: string[]) => logs.filter((l) => /^(warn|error):/.test(l));

  test('Init is the built-in one; Glob hashes every regular file into <datastore>/local/hashdb.sqlite', async () => {
    const init = repo.get('Generic.Forensic.LocalHashes.Init');
    assert.ok(init?.builtIn, 'Init is the workbench\'s built-in');
    assert.match(init.file, /Generic\.Forensic\.LocalHashes\.Init\.yaml$/);
    const g = await run('Generic.Forensic.LocalHashes.Glob', { HashGlob: files + '/**' });
    assert.deepEqual(problems(g.logs), []);
    const db = join(datastore, 'local', 'hashdb.sqlite');
    assert.ok(g.logs.includes(`info: Will use local hash database ${db}`), g.logs.join('\n'));
    const got = g.rows.map((r) => [r.OSPath, r.Hash, r.Size]).sort();
    const want = Object.entries(contents).map(([name, data]) => [join(files, name), md5(data), data.length]).sort();
    assert.deepEqual(got, want);
    assert.ok(statSync(db).isFile(), 'the database persists after the run');
    if (process.platform !== 'win32') assert.equal(statSync(join(datastore, 'local')).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(join(datastore, 'local')), ['hashdb.sqlite'], 'no lock or journal left beside it');
  });

  test('Query, in a later run, finds a file by its MD5 (CSV and comma-separated hashes, any case)', async () => {
    const data = contents['sub/c.txt']!;
    const t0 = Date.now();
    const q = await run('Generic.Forensic.LocalHashes.Query', { CommaDelimitedHashes: ` ${md5(data).toUpperCase()} ,0123` });
    assert.deepEqual(problems(q.logs), []);
    assert.equal(q.rows.length, 1, JSON.stringify(q.rows));
    const row = q.rows[0]!;
    assert.equal(row.Path, join(files, 'sub/c.txt'));
    assert.equal(row.MD5, md5(data));
    assert.equal(row.Size, data.length);
    const ts = Date.parse(String(row.Timestamp));
    assert.ok(ts <= t0 && ts > t0 - 10 * 60_000, `Timestamp ${String(row.Timestamp)} is when Glob ran`);
    assert.deepEqual(Object.keys(row), ['Path', 'MD5', 'Size', 'Timestamp', '_Source']);

    const csv = await run('Generic.Forensic.LocalHashes.Query', { Hashes: `Hash\n${md5(contents['a.txt']!)}\n${md5(contents['b.bin']!)}\n` });
    assert.deepEqual(problems(csv.logs), []);
    assert.deepEqual(csv.rows.map((r) => [r.Path, r.Size]), [[join(files, 'a.txt'), 6], [join(files, 'b.bin'), 70000]]);
  });

  test('Glob again: the same files are not added twice (the unique index refuses them, as on Velociraptor)', async () => {
    const g = await run('Generic.Forensic.LocalHashes.Glob', { HashGlob: files + '/*.txt', SuppressOutput: 'Y' });
    assert.deepEqual(g.rows, [], 'SuppressOutput');
    assert.ok(g.logs.some((l) => l.startsWith('error: sqlite: ') && l.includes('UNIQUE constraint failed')), g.logs.join('\n'));
    const q = await run('Generic.Forensic.LocalHashes.Query', { CommaDelimitedHashes: md5(contents['a.txt']!) });
    assert.equal(q.rows.length, 1);
  });

  test('without a datastore the database is in the run\'s temp folder, with a warning that it will not persist', async () => {
    const g = await run('Generic.Forensic.LocalHashes.Glob', { HashGlob: files + '/a.txt', HashDb: 'other.sqlite' }, false);
    assert.deepEqual(g.rows.map((r) => r.Hash), [md5(contents['a.txt']!)]);
    const warns = problems(g.logs);
    assert.equal(warns.length, 1, g.logs.join('\n'));
    assert.match(warns[0]!, /^warn: Generic\.Forensic\.LocalHashes\.Init: no local folder is known \(no datastore\): the hash database .*other\.sqlite is in the run's temp folder and will not persist after the run$/);
    assert.ok(warns[0]!.includes(join(g.temp, 'other.sqlite')), warns[0]);
    assert.equal(existsSync(join(datastore, 'local', 'other.sqlite')), false);
  });
});
