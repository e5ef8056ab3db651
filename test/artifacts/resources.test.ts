// resources.timeout and resources.max_rows bound an artifact's run, as on a Velociraptor client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, createRegistry } from '../../main/vql/index.ts';
import { Repository, installArtifactPlugins } from '../../main/artifacts/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'vql-resources-'));
writeFileSync(join(dir, 'rows.yaml'), 'name: Test.Rows\nresources:\n  max_rows: 3\nsources:\n  - query: SELECT * FROM range(end=10)\n');
writeFileSync(join(dir, 'slow.yaml'), 'name: Test.Slow\nresources:\n  timeout: 1\nsources:\n  - query: SELECT * FROM clock(ms=100)\n');
const repo = new Repository({ builtinDir: null, definitions: [dir] });
const registry = createRegistry();
installArtifactPlugins(registry, repo);

test('resources.max_rows stops the artifact after that many rows', async () => {
  const logs: string[] = [];
  const rows = await collect('SELECT * FROM Artifact.Test.Rows()', { registry, log: (_l, m) => logs.push(m) });
  assert.equal(rows.length, 3);
  assert.ok(logs.some((m) => m.includes('resources.max_rows of 3')));
});

test('resources.timeout stops an endless artifact', { timeout: 10_000 }, async () => {
  const logs: string[] = [];
  const t0 = Date.now();
  const rows = await collect('SELECT * FROM Artifact.Test.Slow()', { registry, log: (_l, m) => logs.push(m) });
  assert.ok(Date.now() - t0 < 5000);
  assert.ok(rows.length >= 3 && rows.length <= 11, `${rows.length} ticks in about a second`);
  assert.ok(logs.some((m) => m.includes('resources.timeout of 1 s')));
});
