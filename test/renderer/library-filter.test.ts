// The artifact library's search, filters and "runs here" badge (renderer/lib/library/filter.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ArtifactSummary } from '../../main/ipc/contract.ts';
import { filterArtifacts, reachBadge } from '../../renderer/lib/library/filter.ts';

const a = (name: string, extra: Partial<ArtifactSummary> = {}): ArtifactSummary => ({ name, type: 'client', description: '', builtIn: false, file: `${name}.yaml`, ...extra });
const list = [
  a('Linux.Sys.Users', { description: 'Users from /etc/passwd', parameterNames: ['PasswordFile'], reach: { runs: true, os: ['linux'], forThisMachine: true, missing: [] } }),
  a('Linux.Sys.LastUserLogin', { reach: { runs: false, os: ['linux'], forThisMachine: true, missing: ['parse_binary()', 'ip()', 'accessor ntfs'] } }),
  a('Windows.Sys.Users', { reach: { runs: false, os: ['windows'], forThisMachine: false, missing: [] } }),
  a('Generic.Client.Stats', { type: 'client_event', reach: { runs: true, os: ['linux', 'darwin', 'windows'], forThisMachine: true, missing: [] } }),
  a('Custom.Mine'),
];

test('search covers names, descriptions and parameter names; words must all match', () => {
  assert.deepEqual(filterArtifacts(list, 'passwd').map((x) => x.name), ['Linux.Sys.Users']);
  assert.deepEqual(filterArtifacts(list, 'passwordfile').map((x) => x.name), ['Linux.Sys.Users']);
  assert.deepEqual(filterArtifacts(list, 'sys users').map((x) => x.name), ['Linux.Sys.Users', 'Windows.Sys.Users']);
});

test('filters: runs on this machine, OS prefix, type', () => {
  assert.deepEqual(filterArtifacts(list, '', { runsHere: true }).map((x) => x.name), ['Linux.Sys.Users', 'Generic.Client.Stats']);
  assert.deepEqual(filterArtifacts(list, '', { os: 'Windows' }).map((x) => x.name), ['Windows.Sys.Users']);
  assert.deepEqual(filterArtifacts(list, '', { os: 'other' }).map((x) => x.name), ['Generic.Client.Stats', 'Custom.Mine']);
  assert.deepEqual(filterArtifacts(list, '', { type: 'client_event' }).map((x) => x.name), ['Generic.Client.Stats']);
});

test('badges: runs here, for another OS, or what it needs (two names and a count)', () => {
  assert.equal(reachBadge(list[0]!)!.text, 'runs here');
  assert.deepEqual(reachBadge(list[1]!), { kind: 'needs', text: 'needs parse_binary, ip +1', title: 'It cannot run here yet: it needs parse_binary(), ip(), accessor ntfs' });
  assert.equal(reachBadge(list[2]!)!.text, 'for windows');
  assert.equal(reachBadge(list[4]!), null);
});
