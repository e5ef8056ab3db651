// Artifact folders added in the app: listed with what they gave, remembered across restarts,
// seen by the library, by queries on worker threads, and removed again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppService } from '../../main/app/service.ts';
import type { Push } from '../../main/ipc/contract.ts';

const CORPUS = fileURLToPath(new URL('../../../shared/velociraptor-artifacts/', import.meta.url));

function service(userArtifacts: string, pushes: unknown[][] = []): AppService {
  return new AppService({ userArtifacts, push: <K extends keyof Push>(c: K, ...a: Parameters<Push[K]>) => pushes.push([c, ...a]), isolation: 'inline' });
}

test('add a folder: its artifacts join the library, it is remembered, a bad one is refused, remove takes them out', async () => {
  const root = mkdtempSync(join(tmpdir(), 'vql-folders-'));
  const user = join(root, 'datastore', 'artifacts');
  const defs = join(root, 'definitions');
  mkdirSync(join(defs, 'Custom'), { recursive: true });
  writeFileSync(join(defs, 'Custom', 'One.yaml'), 'name: Custom.Folder.One\nsources:\n- query: SELECT 1 AS One FROM scope()\n');
  writeFileSync(join(defs, 'Custom', 'Bad.yaml'), 'name: Custom.Folder.Bad\nsources:\n- query: SELECT FROM\n');
  const s = service(user);
  const added = await s.invoke('artifacts:add-folder', defs);
  assert.ok(added.ok, JSON.stringify(added));
  assert.deepEqual(added.value, [{ path: defs, artifacts: 1, errors: 1, exists: true }]);
  const list = await s.invoke('artifacts:list');
  assert.ok(list.ok);
  const one = list.value.find((a) => a.name === 'Custom.Folder.One');
  assert.equal(one?.folder, defs, 'the library says which folder it came from');
  assert.equal(list.value.find((a) => a.builtIn)?.folder, undefined);
  // Not one of the user's artifacts: the folder's file is never deleted from the app.
  const del = await s.invoke('artifacts:delete', 'Custom.Folder.One');
  assert.equal(!del.ok && del.error.code, 'BuiltIn');
  assert.ok(existsSync(join(defs, 'Custom', 'One.yaml')));
  // Remembered: a new service (a restart) loads it too.
  const again = service(user);
  assert.deepEqual((await again.invoke('artifacts:folders')).ok && (await again.invoke('artifacts:folders') as { value: unknown }).value, [{ path: defs, artifacts: 1, errors: 1, exists: true }]);
  const r = await again.invoke('artifacts:add-folder', join(root, 'nope'));
  assert.equal(!r.ok && r.error.code, 'BadRequest');
  assert.match(!r.ok ? r.error.message : '', /does not exist/);
  const removed = await again.invoke('artifacts:remove-folder', defs);
  assert.deepEqual(removed.ok && removed.value, []);
  const after = await again.invoke('artifacts:list');
  assert.ok(after.ok && !after.value.some((a) => a.name === 'Custom.Folder.One'));
});

test('Velociraptor\'s library as a folder: every file loads, and a query calls one of its artifacts', { skip: existsSync(CORPUS) ? false : '../shared/velociraptor-artifacts is absent' }, async () => {
  const user = join(mkdtempSync(join(tmpdir(), 'vql-folders-corpus-')), 'artifacts');
  const pushes: unknown[][] = [];
  const s = service(user, pushes);
  const added = await s.invoke('artifacts:add-folder', CORPUS.replace(/\/$/, ''));
  assert.ok(added.ok);
  assert.ok(added.value[0]!.artifacts >= 200, `${added.value[0]!.artifacts} artifacts`);
  assert.equal(added.value[0]!.errors, 0);
  const run = await s.invoke('vql:run', { query: 'SELECT OS FROM Artifact.Generic.Client.Info(source="BasicInformation")' });
  assert.ok(run.ok);
  while (!pushes.some((p) => p[0] === 'vql:done')) await new Promise((r) => setTimeout(r, 10));
  const rows = pushes.filter((p) => p[0] === 'vql:rows').flatMap((p) => (p[2] as string[]).map((x) => JSON.parse(x)));
  assert.deepEqual(rows, [{ OS: process.platform === 'win32' ? 'windows' : process.platform }]);
});
