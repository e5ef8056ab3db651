// Velociraptor's own Generic.Client.Profile (../shared/velociraptor-artifacts, unchanged) runs here:
// every source completes without an error, with every profile asked for, through the artifact
// runner; and `vql artifacts collect ... --output x.zip` puts the profiles it uploads into the
// collection. Skipped (with a notice) when ../shared is absent.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync, strFromU8 } from 'fflate';
import { Repository, installArtifactPlugins, runArtifact } from '../../../main/artifacts/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';
import { finishRun, newTempDir } from '../../../main/host/collect/run-files.ts';
import { toJSON, type Value } from '../../../main/vql/index.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CORPUS = fileURLToPath(new URL('../../../../shared/velociraptor-artifacts/', import.meta.url));
const skip = existsSync(join(CORPUS, 'Generic', 'Client', 'Profile.yaml'))
  ? false
  : `../shared/velociraptor-artifacts is absent (${CORPUS}): Generic.Client.Profile not run`;
if (skip) console.log(`# ${skip}`);

type Row = Record<string, unknown>;
const TMP = mkdtempSync(join(tmpdir(), 'vql-profile-artifact-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** Every parameter the artifact has, on. */
const EVERYTHING = {
  Allocs: 'Y', Block: 'Y', Goroutine: 'Y', Heap: 'Y', Mutex: 'Y', Profile: 'Y', Trace: 'Y',
  Logs: 'Y', QueryLogs: 'Y', Metrics: 'Y', Verbose: 'Y', Duration: '1',
};

describe('Generic.Client.Profile', { skip }, () => {
  test('every source completes without an error, with every profile asked for', async () => {
    const repo = new Repository({ definitions: [CORPUS] });
    const files = { tempDir: newTempDir(), uploadDir: join(TMP, 'store') };
    const registry = createHostRegistry({ network: 'loopback', files });
    installArtifactPlugins(registry, repo);
    const rows: Value[] = [];
    const logs: string[] = [];
    try {
      for await (const batch of runArtifact(repo, repo.get('Generic.Client.Profile')!, new Map(Object.entries(EVERYTHING)), {
        registry, signal: new AbortController().signal, preconditions: true, log: (l, m) => logs.push(`${l}: ${m}`),
      })) rows.push(...batch);
    } finally {
      await finishRun(registry);
    }
    assert.deepEqual(logs.filter((l) => l.startsWith('error:') || l.startsWith('warn:')), []);
    const all = JSON.parse(toJSON(rows)) as Row[];
    const of = (source: string) => all.filter((r) => r._Source === source);

    const main = of('Generic.Client.Profile');
    const uploaded = main.filter((r) => r.OSPath);
    assert.deepEqual(uploaded.map((r) => r.Type), ['allocs', 'goroutine', 'heap', 'profile', 'trace']);
    for (const r of uploaded) {
      const file = r.File as Row;
      assert.equal(typeof file.sha256, 'string', `${String(r.Type)} uploaded`);
      assert.ok((file.Size as number) > 0);
    }
    const lineTypes = new Set(main.filter((r) => !r.OSPath).map((r) => r.Type));
    assert.deepEqual([...lineTypes].sort(), ['logs', 'metrics', 'queries']);
    // block and mutex: one log line each (kept in the log ring, so Logs=Y shows them).
    assert.equal(logs.filter((l) => /no Node\.js counterpart/.test(l)).length, 2);

    // Our stacks have no velociraptor|vfilter|go-ntfs frames: the artifact's filter leaves none.
    assert.deepEqual(of('Generic.Client.Profile/Goroutines'), []);
    for (const r of of('Generic.Client.Profile/Memory')) assert.equal(typeof r.InUseBytes, 'number');
    assert.ok(of('Generic.Client.Profile/Logs').every((r) => r.Type === 'logs'));
    const runningNow = of('Generic.Client.Profile/RunningQueries');
    assert.equal(runningNow.length, 1);
    assert.match(String(runningNow[0]!.Query), /FROM profile\(queries=TRUE\) WHERE NOT Line\.Duration/);
    const allQueries = of('Generic.Client.Profile/AllQueries');
    assert.ok(allQueries.some((r) => /FROM profile_memory\(\)/.test(String(r.Query)) && (r.DurationSec as number) > 0));
    assert.ok(of('Generic.Client.Profile/Metrics').length > 20);
    const everything = new Set(of('Generic.Client.Profile/Everything').map((r) => r.Type));
    assert.deepEqual([...everything].sort(), ['goroutine', 'logs', 'metrics', 'queries']);
  });

  test('vql artifacts collect --output x.zip holds the profiles in its uploads', { timeout: 120_000 }, () => {
    if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
      const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32' });
      assert.equal(b.status, 0, `npm run build failed:\n${b.stdout}\n${b.stderr}`);
    }
    const zipPath = join(TMP, 'profile.zip');
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'vql.js'), 'artifacts', 'collect', 'Generic.Client.Profile',
      '--definitions', CORPUS, '--args', 'Duration=1', '--args', 'Heap=Y', '--args', 'Profile=Y', '--output', zipPath],
    { cwd: TMP, encoding: 'utf8', timeout: 110_000 });
    assert.equal(r.status, 0, r.stderr);
    const zip = unzipSync(readFileSync(zipPath));
    const uploads = strFromU8(zip['uploads.json']!).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
    const stored = new Map(uploads.map((u) => [(u._Components as string[]).at(-1), (u._Components as string[]).join('/')]));
    assert.deepEqual([...stored.keys()].sort(), ['allocs.bin', 'goroutine.bin', 'heap.bin', 'profile.bin']);
    const member = (name: string) => zip[stored.get(name)!]!;
    const snapshot = JSON.parse(strFromU8(member('heap.bin'))) as { snapshot: { meta: { node_fields: string[] } } };
    assert.ok(snapshot.snapshot.meta.node_fields.includes('self_size'));
    assert.ok((JSON.parse(strFromU8(member('profile.bin'))) as { nodes: unknown[] }).nodes.length > 0);
    assert.ok((JSON.parse(strFromU8(member('allocs.bin'))) as { samples: unknown[] }).samples !== undefined);
    assert.match(strFromU8(member('goroutine.bin')), /^vql engine: pid \d+, main thread/);
    const log = strFromU8(zip['log.json']!).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
    assert.deepEqual(log.filter((l) => l.level === 'ERROR' || l.level === 'WARN'), []);
    for (const source of ['Goroutines', 'Memory', 'Logs', 'RunningQueries', 'AllQueries', 'Metrics', 'Everything']) {
      assert.ok(zip[`results/Generic.Client.Profile%2F${source}.json`], `${source} results`);
    }
  });
});
