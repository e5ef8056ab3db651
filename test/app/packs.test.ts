// packs:export and packs:import through the app service's contract, as the renderer calls
// them: the zip crosses as base64, imports land in the user's folder and the list reloads.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync, strFromU8, strToU8 } from 'fflate';
import { AppService } from '../../main/app/service.ts';
import type { PackExport } from '../../main/ipc/contract.ts';

const TMP = mkdtempSync(join(tmpdir(), 'vql-app-packs-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
let n = 0;

function service(): { s: AppService; dir: string } {
  const dir = join(TMP, `user${n++}`);
  return { s: new AppService({ userArtifacts: dir, push: () => {} }), dir };
}

const EVENT = `name: Test.App.Watch
type: CLIENT_EVENT
parameters:
  - name: Period
    type: int
    default: 5
sources:
  - query: |
      SELECT * FROM Artifact.Test.App.Helper()
`;
const HELPER = `name: Test.App.Helper
sources:
  - query: SELECT 1 AS One FROM scope()
`;

async function exported(s: AppService, names: string[], prefix?: string): Promise<PackExport> {
  const r = await s.invoke('packs:export', { names, prefix });
  assert.ok(r.ok, JSON.stringify(r));
  return r.value;
}

test('export a pack of saved artifacts, import it into another workbench: the same artifacts appear in its list', async () => {
  const a = service();
  for (const y of [EVENT, HELPER]) assert.ok((await a.s.invoke('artifacts:save', y)).ok);
  const pack = await exported(a.s, ['Test.App.Watch', 'Test.App.Helper'], 'Custom.');
  assert.deepEqual(pack.artifacts, ['Custom.Test.App.Watch', 'Custom.Test.App.Helper']);
  assert.deepEqual(pack.refused, []);
  assert.match(pack.fileName, /^vql-workbench-pack-\d{4}-\d{2}-\d{2}\.zip$/);
  assert.match(pack.serverConfig, /default_client_monitoring_artifacts:\n {4}- Custom\.Test\.App\.Watch/);
  assert.match(pack.serverConfig, /parameters=dict\(Period='5'\)/);
  const files = unzipSync(new Uint8Array(Buffer.from(pack.zipBase64, 'base64')));
  assert.deepEqual(Object.keys(files).sort(), ['Custom/Test/App/Helper.yaml', 'Custom/Test/App/Watch.yaml']);
  assert.match(strFromU8(files['Custom/Test/App/Watch.yaml']!), /FROM Artifact\.Custom\.Test\.App\.Helper\(\)/);

  const b = service();
  const imp = await b.s.invoke('packs:import', pack.zipBase64);
  assert.ok(imp.ok, JSON.stringify(imp));
  assert.deepEqual(imp.value.problems, []);
  assert.deepEqual(imp.value.imported.map((x) => [x.name, x.type, x.builtIn]), [['Custom.Test.App.Watch', 'client_event', false], ['Custom.Test.App.Helper', 'client', false]]);
  const list = await b.s.invoke('artifacts:list');
  assert.ok(list.ok);
  assert.ok(list.value.some((x) => x.name === 'Custom.Test.App.Watch'));
  const got = await b.s.invoke('artifacts:get', 'Custom.Test.App.Watch');
  assert.ok(got.ok);
  assert.equal(got.value.raw, strFromU8(files['Custom/Test/App/Watch.yaml']!));
  assert.deepEqual(readdirSync(b.dir).sort(), ['Custom.Test.App.Helper.yaml', 'Custom.Test.App.Watch.yaml']);
  // The renamed reference resolves in the new workbench: the artifact it calls is there.
  assert.ok((await b.s.invoke('artifacts:get', 'Custom.Test.App.Helper')).ok);
});

test('refused artifacts come back with their problems; warnings are file:line:column text', async () => {
  const { s } = service();
  assert.ok((await s.invoke('artifacts:save', EVENT)).ok);
  const bare = await exported(s, ['Generic.Client.Stats', 'Test.App.Watch', 'No.Such']);
  assert.deepEqual(bare.artifacts, ['Test.App.Watch']);
  assert.deepEqual(bare.refused.map((r) => r.name), ['No.Such', 'Generic.Client.Stats']);
  assert.match(bare.refused[1]!.problems[0]!, /Generic\.Client\.Stats\.yaml:1:7: error: Generic\.Client\.Stats is the name of a Velociraptor built-in artifact/);
  assert.ok(bare.warnings.some((w) => /Test\.App\.Watch\.yaml:9:30: warning: Artifact\.Test\.App\.Helper is neither in the pack/.test(w)), bare.warnings.join('\n'));
  assert.ok(bare.warnings.some((w) => /Test\.App\.Watch may be the name of a Velociraptor built-in artifact this workbench does not list/.test(w)));
  const none = await exported(s, ['Generic.Client.Stats']);
  assert.equal(none.zipBase64, '');
  assert.deepEqual(none.artifacts, []);
});

test('bad requests are refused without a crash', async () => {
  const { s } = service();
  const bad = [
    await s.invoke('packs:export', { names: 'Generic.Client.Stats' } as never),
    await s.invoke('packs:export', null as never),
    await s.invoke('packs:export', { names: [1] } as never),
    await s.invoke('packs:export', { names: ['Generic.Client.Stats'], prefix: 'bad prefix' }),
    await s.invoke('packs:export', { names: [] }),
    await s.invoke('packs:import', 42 as never),
    await s.invoke('packs:import', 'not base64!'),
  ];
  assert.deepEqual(bad.map((r) => (r.ok ? 'ok' : r.error.code)), ['BadRequest', 'BadRequest', 'BadRequest', 'PackError', 'PackError', 'BadRequest', 'BadRequest']);
});

test('import: a zip with ../ paths is refused and nothing is written; a built-in name is refused', async () => {
  const { s, dir } = service();
  const evil = zipSync({ '../evil.yaml': strToU8(HELPER.replace('Test.App.Helper', 'Custom.Evil')) });
  const r = await s.invoke('packs:import', Buffer.from(evil).toString('base64'));
  assert.ok(r.ok);
  assert.deepEqual(r.value.imported, []);
  assert.match(r.value.problems[0]!.message, /entry '\.\.\/evil\.yaml' contains '\.\.'.*refused/);
  assert.deepEqual(readdirSync(dir), []);
  const builtin = zipSync({ 'Generic/Client/Info.yaml': strToU8(HELPER.replace('Test.App.Helper', 'Generic.Client.Info')) });
  const r2 = await s.invoke('packs:import', Buffer.from(builtin).toString('base64'));
  assert.ok(r2.ok);
  assert.match(r2.value.problems[0]!.message, /Generic\.Client\.Info is a built-in artifact of the workbench and is not replaced/);
  assert.deepEqual(readdirSync(dir), []);
  const garbage = await s.invoke('packs:import', Buffer.from('hello').toString('base64'));
  assert.ok(garbage.ok);
  assert.match(garbage.value.problems[0]!.message, /not a zip file/);
});

test('packs:preview lists what would be added, replaced (with a diff) or refused and writes nothing; packs:import replaces only the names accepted', async () => {
  const { s, dir } = service();
  const mine = HELPER.replace('Test.App.Helper', 'Custom.Mine');
  assert.ok((await s.invoke('artifacts:save', mine)).ok);
  const theirs = mine.replace('SELECT 1 AS One', 'SELECT 2 AS Two');
  const zip = Buffer.from(zipSync({
    'Custom/Mine.yaml': strToU8(theirs),
    'Custom/New.yaml': strToU8(HELPER.replace('Test.App.Helper', 'Custom.New')),
    'Custom/Bad/Two.yaml': strToU8('name: Custom.Bad.Two\nsources:\n- quer: x\n'),
  })).toString('base64');
  const before = readdirSync(dir).sort();
  const preview = await s.invoke('packs:preview', zip);
  assert.ok(preview.ok, JSON.stringify(preview));
  assert.deepEqual(readdirSync(dir).sort(), before, 'a preview writes nothing');
  assert.deepEqual(preview.value.add.map((a) => [a.name, a.type, a.entry]), [['Custom.New', 'client', 'Custom/New.yaml']]);
  assert.deepEqual(preview.value.replace.map((a) => [a.name, a.file]), [['Custom.Mine', join(dir, 'Custom.Mine.yaml')]]);
  const diff = preview.value.replace[0]!.diff;
  assert.deepEqual([diff.removed, diff.added], [1, 1]);
  assert.deepEqual(diff.hunks[0]!.lines.filter((l) => l.op !== ' ').map((l) => `${l.op}${l.text}`), ['-  - query: SELECT 1 AS One FROM scope()', '+  - query: SELECT 2 AS Two FROM scope()']);
  assert.equal(preview.value.problems[0]!.file, 'Custom/Bad/Two.yaml');
  assert.equal(preview.value.problems[0]!.line, 3);
  assert.ok(!preview.value.problems[0]!.message.includes('Custom/Bad/Two.yaml'), 'the path is not repeated in the message');

  // Import without accepting the replacement: the new one is written, the user's kept.
  const keep = await s.invoke('packs:import', zip, { replace: [] });
  assert.ok(keep.ok, JSON.stringify(keep));
  assert.deepEqual(keep.value.imported.map((a) => a.name), ['Custom.New']);
  assert.deepEqual(keep.value.kept, ['Custom.Mine']);
  assert.deepEqual(keep.value.replaced, []);
  const still = await s.invoke('artifacts:get', 'Custom.Mine');
  assert.ok(still.ok && /SELECT 1 AS One/.test(still.value.raw));
  // The same call without options replaces nothing either (nothing is overwritten silently).
  const bare = await s.invoke('packs:import', zip);
  assert.ok(bare.ok && bare.value.kept.includes('Custom.Mine') && bare.value.unchanged.includes('Custom.New'));
  // Accepted: replaced in its own file.
  const yes = await s.invoke('packs:import', zip, { replace: ['Custom.Mine'] });
  assert.ok(yes.ok, JSON.stringify(yes));
  assert.deepEqual(yes.value.replaced, ['Custom.Mine']);
  const now = await s.invoke('artifacts:get', 'Custom.Mine');
  assert.ok(now.ok && /SELECT 2 AS Two/.test(now.value.raw));
  assert.deepEqual(readdirSync(dir).sort(), ['Custom.Mine.yaml', 'Custom.New.yaml']);
  const bad = await s.invoke('packs:import', zip, { replace: [1] } as never);
  assert.equal(bad.ok ? 'ok' : bad.error.code, 'BadRequest');
});

test('artifacts:save never replaces another artifact unasked: Exists, then replace with the name confirmed', async () => {
  const { s, dir } = service();
  const v1 = HELPER.replace('Test.App.Helper', 'Custom.Saved');
  const v2 = v1.replace('SELECT 1 AS One', 'SELECT 3 AS Three');
  assert.ok((await s.invoke('artifacts:save', v1)).ok);
  const refused = await s.invoke('artifacts:save', v2);
  assert.equal(refused.ok, false);
  assert.equal(!refused.ok && refused.error.code, 'Exists');
  assert.match(!refused.ok ? refused.error.message : '', /Custom\.Saved already exists in .*Custom\.Saved\.yaml: save under another name, or confirm to replace it/);
  const got = await s.invoke('artifacts:get', 'Custom.Saved');
  assert.ok(got.ok && /SELECT 1 AS One/.test(got.value.raw), 'nothing was written');
  // The same text again is no replacement; a confirmed name replaces in place.
  assert.ok((await s.invoke('artifacts:save', v1)).ok);
  assert.ok((await s.invoke('artifacts:save', v2, { replace: 'Custom.Other' })).ok === false, 'a confirmation of another name does not count');
  const yes = await s.invoke('artifacts:save', v2, { replace: 'Custom.Saved' });
  assert.ok(yes.ok, JSON.stringify(yes));
  assert.deepEqual(readdirSync(dir), ['Custom.Saved.yaml']);
  const after = await s.invoke('artifacts:get', 'Custom.Saved');
  assert.ok(after.ok && /SELECT 3 AS Three/.test(after.value.raw));
});
