// `_SessionId` in artifact runs: Velociraptor's client gives every flow its flow id, and
// artifacts key state off it (Linux.Sys.BashShell's shell session, System.VFS.ListDirectory's
// generator). Each run gets an `F.` id shared by its sources; a caller may give its own.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry, type VDict } from '../../main/vql/index.ts';
import { Repository, installArtifactPlugins, runArtifact } from '../../main/artifacts/index.ts';

const DIR = mkdtempSync(join(tmpdir(), 'vql-session-id-test-'));
after(() => rmSync(DIR, { recursive: true, force: true }));
writeFileSync(join(DIR, 'Sid.yaml'), `name: Test.Sid
sources:
  - name: A
    query: SELECT _SessionId AS Sid FROM scope()
  - name: B
    query: SELECT split(string=_SessionId, sep="/")[0] AS Sid FROM scope()
`);
const repo = new Repository({ builtinDir: null, definitions: [DIR] });
const registry = createRegistry();
installArtifactPlugins(registry, repo);

async function sids(sessionId?: string): Promise<{ sids: unknown[]; logs: string[] }> {
  const logs: string[] = [];
  const out: unknown[] = [];
  const opts = { registry, signal: new AbortController().signal, log: (l: string, m: string) => logs.push(`${l}: ${m}`), ...(sessionId ? { sessionId } : {}) };
  for await (const batch of runArtifact(repo, repo.get('Test.Sid')!, new Map(), opts)) out.push(...batch.map((r: VDict) => r.get('Sid')));
  return { sids: out, logs };
}

test('an artifact run sees _SessionId: one F. flow id for all its sources, a new one per run', async () => {
  const a = await sids();
  assert.deepEqual(a.logs, [], 'no "Symbol _SessionId not found" warning');
  assert.equal(a.sids.length, 2);
  assert.match(String(a.sids[0]), /^F\.[0-9A-V]{13}$/);
  assert.equal(a.sids[1], a.sids[0]);
  const b = await sids();
  assert.notEqual(b.sids[0], a.sids[0]);
});

test('a caller-given sessionId is the run\'s _SessionId', async () => {
  assert.deepEqual((await sids('F.CALLER/1')).sids, ['F.CALLER/1', 'F.CALLER']);
});

test('a nested Artifact.X() call is part of its caller\'s flow: the same _SessionId', async () => {
  writeFileSync(join(DIR, 'Outer.yaml'), `name: Test.Outer
sources:
  - query: |
      SELECT _SessionId AS Outer, Sid AS Inner FROM Artifact.Test.Sid(source='A')
`);
  repo.reload();
  const rows: VDict[] = [];
  const logs: string[] = [];
  for await (const batch of runArtifact(repo, repo.get('Test.Outer')!, new Map(), { registry, signal: new AbortController().signal, log: (l, m) => logs.push(`${l}: ${m}`) })) rows.push(...batch);
  assert.deepEqual(logs, []);
  assert.equal(rows.length, 1);
  assert.match(String(rows[0]!.get('Outer')), /^F\.[0-9A-V]{13}$/);
  assert.equal(rows[0]!.get('Inner'), rows[0]!.get('Outer'));
});
