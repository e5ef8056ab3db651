// `vql artifacts reach`: which artifacts can run on an OS here, and exactly what each lacks,
// following Artifact.X() calls and imports (an import needs only the library's export); it agrees with `verify --strict` on each artifact's own text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHostRegistry } from '../../main/host/index.ts';
import { Repository } from '../../main/artifacts/index.ts';
import { artifactsReach, summarizeReach } from '../../main/artifacts/reach.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vql-reach-'));
const art = (name: string, body: string) => writeFileSync(join(dir, `${name}.yaml`), `name: ${name}\n${body}`);
art('Linux.Ok', 'sources:\n- query: SELECT * FROM info()\n');
art('Linux.Needs', "sources:\n- query: |\n    SELECT parse_evtx_nope(x=1) FROM glob(globs='/x', accessor='ntfs_nope')\n");
art('Generic.Calls', 'sources:\n- query: SELECT * FROM Artifact.Linux.Needs()\n');
art('Generic.Imports', 'imports:\n- Custom.Missing.Lib\nsources:\n- query: SELECT * FROM info()\n');
art('Generic.OnlyWindows', "precondition: SELECT OS FROM info() WHERE OS = 'windows'\nsources:\n- query: SELECT * FROM info()\n");
art('Windows.Thing', 'sources:\n- query: SELECT * FROM info()\n');
art('Custom.Cycle.A', 'sources:\n- query: SELECT * FROM Artifact.Custom.Cycle.B()\n');
art('Custom.Cycle.B', 'sources:\n- query: SELECT * FROM Artifact.Custom.Cycle.A()\n');
art('Server.Thing', 'type: SERVER\nsources:\n- query: SELECT * FROM info()\n');
// Imports bring only the export (Velociraptor's rule): the library's sources do not count.
art('Custom.Lib.Clean', 'export: LET Helper(X) = upcase(string=X)\nsources:\n- query: SELECT lib_source_only_nope() FROM scope()\n');
art('Custom.Lib.Needs', 'export: LET Helper2(X) = export_needs_nope(x=X)\nsources:\n- query: SELECT * FROM info()\n');
art('Custom.Lib.Calls', 'export: LET Rows = SELECT * FROM Artifact.Linux.Needs()\n');
art('Generic.UsesClean', 'imports:\n- Custom.Lib.Clean\nsources:\n- query: SELECT Helper(X="a") FROM scope()\n');
art('Generic.UsesNeeds', 'imports:\n- Custom.Lib.Needs\nsources:\n- query: SELECT Helper2(X="a") FROM scope()\n');
art('Generic.UsesCalls', 'imports:\n- Custom.Lib.Calls\nsources:\n- query: SELECT * FROM Rows\n');

test('reach: own and inherited gaps, OS by prefix and precondition, cycles, imports', () => {
  const all = artifactsReach(new Repository({ definitions: [dir] }), createHostRegistry(), 'linux');
  const by = new Map(all.map((r) => [r.name, r]));
  assert.deepEqual(by.get('Linux.Ok'), { name: 'Linux.Ok', type: 'client', os: ['linux'], runs: true, missing: [] });
  assert.deepEqual(by.get('Linux.Needs')!.missing, ['accessor ntfs_nope', 'parse_evtx_nope()']);
  assert.deepEqual(by.get('Generic.Calls')!.missing, ['accessor ntfs_nope', 'parse_evtx_nope()'], 'inherited from the called artifact');
  assert.deepEqual(by.get('Generic.Imports')!.missing, ['Artifact.Custom.Missing.Lib']);
  assert.deepEqual(by.get('Generic.OnlyWindows')!.os, ['windows']);
  assert.equal(by.get('Generic.OnlyWindows')!.runs, false);
  assert.equal(by.get('Windows.Thing')!.runs, false);
  assert.equal(by.get('Custom.Cycle.A')!.runs, true, 'a cycle is not a gap (running it stops at the depth limit)');
  assert.deepEqual(by.get('Custom.Lib.Clean')!.missing, ['lib_source_only_nope()']);
  assert.deepEqual(by.get('Generic.UsesClean')!.missing, [], "an import needs only the library's export");
  assert.deepEqual(by.get('Generic.UsesNeeds')!.missing, ['export_needs_nope()'], 'what the export calls is needed');
  assert.deepEqual(by.get('Generic.UsesCalls')!.missing, ['accessor ntfs_nope', 'parse_evtx_nope()'], 'an artifact the export calls is needed whole');
  const s = summarizeReach(all, 'linux');
  assert.equal(s.runnable, all.filter((r) => r.runs && (r.type === 'client' || r.type === 'client_event')).length);
  assert.ok(s.ranked.some((m) => m.name === 'parse_evtx_nope()' && m.artifacts === 4));
});

const built = existsSync(join(ROOT, 'dist', 'cli.js'));

test('vql artifacts reach prints a verdict per artifact, the summary and the ranked gaps; --json; it agrees with verify --strict', { skip: built ? false : 'needs npm run build' }, () => {
  const vql = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'vql.js'), ...args], { encoding: 'utf8', cwd: ROOT });
  const r = vql('artifacts', 'reach', dir, '--os', 'linux');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Linux\.Needs\s+needs accessor ntfs_nope, parse_evtx_nope\(\)$/m);
  assert.match(r.stdout, /^Linux\.Ok\s+runs here$/m);
  assert.match(r.stdout, /^Windows\.Thing\s+not for linux \(for windows\)$/m);
  assert.match(r.stdout, /^\d+ of \d+ client artifacts can run on linux$/m);
  assert.match(r.stdout, /^ {2}parse_evtx_nope\(\)\s+4$/m);
  const json = JSON.parse(vql('artifacts', 'reach', dir, '--json', '--os', 'windows').stdout) as { os: string; artifacts: Array<{ name: string; runs: boolean }> };
  assert.equal(json.os, 'windows');
  assert.equal(json.artifacts.find((a) => a.name === 'Windows.Thing')!.runs, true);
  assert.notEqual(vql('artifacts', 'reach', '--os', 'plan9').status, 0);
  // Leaf artifacts: reach's verdict (ignoring the OS) and verify --strict agree.
  for (const name of ['Linux.Ok', 'Linux.Needs', 'Generic.Imports', 'Windows.Thing', 'Generic.UsesClean', 'Generic.UsesNeeds']) {
    const v = vql('artifacts', 'verify', '--strict', join(dir, `${name}.yaml`), '--definitions', dir);
    const reachLine = new RegExp(`^${name.replace(/\./g, '\\.')}\\s+(.*)$`, 'm').exec(r.stdout)![1]!;
    assert.equal(v.status === 0, !reachLine.startsWith('needs'), `${name}: verify ${v.status}, reach "${reachLine}"`);
  }
});
