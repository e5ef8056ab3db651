// `vql artifacts pack` and `vql artifacts import`, end to end: each test spawns the real
// command (`node bin/vql.js`, the bundle) and checks the files, stdout, stderr and exit status.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as yaml from 'js-yaml';
import { unzipSync, zipSync, strFromU8, strToU8 } from 'fflate';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vql.js');
if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32' });
  if (b.status !== 0) throw new Error(`npm run build failed:\n${b.stdout}\n${b.stderr}`);
}

const TMP = mkdtempSync(join(tmpdir(), 'vql-pack-cli-test-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
const DEFS = join(TMP, 'defs');
mkdirSync(DEFS);
writeFileSync(join(DEFS, 'Watch.yaml'), `name: Test.Cli.Watch
type: client_event
parameters:
  - name: Period
    type: int
    default: 5
sources:
  - query: |
      -- calls the helper
      SELECT * FROM Artifact.Test.Cli.Helper()
`);
writeFileSync(join(DEFS, 'Helper.yaml'), `name: Test.Cli.Helper
sources:
  - query: SELECT 1 AS One FROM scope()
`);

function vql(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: TMP, encoding: 'utf8', timeout: 30_000, env: { ...process.env, XDG_DATA_HOME: join(TMP, 'xdg') } });
  if (r.error) throw r.error;
  assert.doesNotMatch(r.stderr, /^\s+at\s.+|TypeError|RangeError|Unhandled/m, `crash:\n${r.stderr}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('pack NAME... --output FILE.zip --prefix Custom.: the zip, FILE.server.yaml, and what was written', () => {
  const out = join(TMP, 'out', 'pack.zip');
  mkdirSync(join(TMP, 'out'));
  const r = vql('artifacts', 'pack', 'Test.Cli.Watch', 'Test.Cli.Helper', '--definitions', DEFS, '--prefix', 'Custom.', '--output', out);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, [
    `wrote ${out}: 2 artifacts`,
    '  Custom.Test.Cli.Watch\tCustom/Test/Cli/Watch.yaml',
    '  Custom.Test.Cli.Helper\tCustom/Test/Cli/Helper.yaml',
    `wrote ${join(TMP, 'out', 'pack.server.yaml')}: server configuration for 1 event artifact`,
    '',
  ].join('\n'));
  const files = unzipSync(readFileSync(out));
  assert.deepEqual(Object.keys(files).sort(), ['Custom/Test/Cli/Helper.yaml', 'Custom/Test/Cli/Watch.yaml']);
  const watch = strFromU8(files['Custom/Test/Cli/Watch.yaml']!);
  assert.match(watch, /^name: Custom\.Test\.Cli\.Watch$/m);
  assert.match(watch, /^type: CLIENT_EVENT$/m);
  assert.match(watch, /default: "5"/);
  assert.match(watch, /-- calls the helper\n\s+SELECT \* FROM Artifact\.Custom\.Test\.Cli\.Helper\(\)/);
  const cfg = readFileSync(join(TMP, 'out', 'pack.server.yaml'), 'utf8');
  assert.deepEqual(yaml.load(cfg), { Frontend: { default_client_monitoring_artifacts: ['Custom.Test.Cli.Watch'] } });
  assert.match(cfg, /add_client_monitoring\(artifact='Custom\.Test\.Cli\.Watch', parameters=dict\(Period='5'\)\)/);
});

test('pack: a refused artifact is listed with file:line:column and the exit status is 1; the rest is packed', () => {
  const out = join(TMP, 'partial.zip');
  const r = vql('artifacts', 'pack', 'Generic.Client.Stats', 'Test.Cli.Helper', '--definitions', DEFS, '--output', out);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /ERROR: Generic\.Client\.Stats is not packed:\n {2}\S*Generic\.Client\.Stats\.yaml:1:7: error: Generic\.Client\.Stats is the name of a Velociraptor built-in artifact/);
  assert.match(r.stderr, /WARNING: \S*Helper\.yaml:1:7: warning: Test\.Cli\.Helper may be the name of a Velociraptor built-in/);
  assert.deepEqual(Object.keys(unzipSync(readFileSync(out))), ['Test/Cli/Helper.yaml']);
  assert.equal(existsSync(join(TMP, 'partial.server.yaml')), false, 'no event artifact, no server file');

  const none = join(TMP, 'none.zip');
  const r2 = vql('artifacts', 'pack', 'Generic.Client.Stats', '--output', none);
  assert.equal(r2.status, 1);
  assert.match(r2.stderr, /nothing to pack: .*none\.zip was not written/);
  assert.equal(existsSync(none), false);
});

test('pack: usage errors exit 1 with a message', () => {
  const noOut = vql('artifacts', 'pack', 'Test.Cli.Helper', '--definitions', DEFS);
  assert.equal(noOut.status, 1);
  assert.match(noOut.stderr, /--output FILE\.zip is required/);
  const noName = vql('artifacts', 'pack', '--output', join(TMP, 'x.zip'));
  assert.equal(noName.status, 1);
  assert.match(noName.stderr, /name the artifacts to pack/);
  const badPrefix = vql('artifacts', 'pack', 'Test.Cli.Helper', '--definitions', DEFS, '--prefix', 'My Stuff', '--output', join(TMP, 'x.zip'));
  assert.equal(badPrefix.status, 1);
  assert.match(badPrefix.stderr, /invalid prefix 'My Stuff'/);
  assert.equal(existsSync(join(TMP, 'x.zip')), false);
});

test('import FILE.zip --to DIR: the pack made above lands in DIR; a zip with ../ is refused', () => {
  const zip = join(TMP, 'roundtrip.zip');
  assert.equal(vql('artifacts', 'pack', 'Test.Cli.Watch', 'Test.Cli.Helper', '--definitions', DEFS, '--prefix', 'Custom.', '--output', zip).status, 0);
  const to = join(TMP, 'imported');
  const r = vql('artifacts', 'import', zip, '--to', to);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /imported Custom\.Test\.Cli\.Watch\t.*Custom\.Test\.Cli\.Watch\.yaml/);
  assert.match(r.stdout, /2 artifacts imported into .*imported, 0 problems/);
  assert.deepEqual(readdirSync(to).sort(), ['Custom.Test.Cli.Helper.yaml', 'Custom.Test.Cli.Watch.yaml']);
  assert.equal(readFileSync(join(to, 'Custom.Test.Cli.Watch.yaml'), 'utf8'), strFromU8(unzipSync(readFileSync(zip))['Custom/Test/Cli/Watch.yaml']!));
  // The imported artifacts verify and list like any others.
  const v = vql('artifacts', 'verify', to);
  assert.equal(v.status, 0, v.stdout);
  // Importing the same again writes nothing: each is unchanged.
  assert.match(vql('artifacts', 'import', zip, '--to', to).stdout, /unchanged Custom\.Test\.Cli\.Watch\t.*\(the same text\)/);
  // Edited since: --dry-run shows the replacement with a diff and writes nothing; the import replaces it in place.
  const watchFile = join(to, 'Custom.Test.Cli.Watch.yaml');
  const packed = readFileSync(watchFile, 'utf8');
  writeFileSync(watchFile, packed.replace(/^name: .*$/m, '$&\ndescription: edited here'));
  const dry = vql('artifacts', 'import', zip, '--to', to, '--dry-run');
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /would replace Custom\.Test\.Cli\.Watch\t.*Custom\.Test\.Cli\.Watch\.yaml \(-1 \+0 lines\)/);
  assert.match(dry.stdout, /^-description: edited here$/m);
  assert.match(dry.stdout, /unchanged Custom\.Test\.Cli\.Helper/);
  assert.match(dry.stdout, /dry run: 0 artifacts to add, 1 to replace, 1 unchanged, 0 problems; nothing was written/);
  assert.match(readFileSync(watchFile, 'utf8'), /description: edited here/, 'a dry run writes nothing');
  assert.match(vql('artifacts', 'import', zip, '--to', to).stdout, /replaced Custom\.Test\.Cli\.Watch/);
  assert.equal(readFileSync(watchFile, 'utf8'), packed);

  const evil = join(TMP, 'evil.zip');
  writeFileSync(evil, zipSync({ '../../evil.yaml': strToU8('name: Custom.Evil\nsources:\n  - query: SELECT 1 FROM scope()\n') }));
  const bad = vql('artifacts', 'import', evil, '--to', join(TMP, 'evil-to'));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /ERROR: .*evil\.zip: entry '\.\.\/\.\.\/evil\.yaml' contains '\.\.' .*the pack is refused \(nothing was imported\)/);
  assert.equal(existsSync(join(TMP, 'evil-to')), false);
  assert.equal(existsSync(join(TMP, '..', 'evil.yaml')), false);
});

test('import without --to uses the app folder under the datastore', () => {
  const zip = join(TMP, 'default.zip');
  assert.equal(vql('artifacts', 'pack', 'Test.Cli.Helper', '--definitions', DEFS, '--prefix', 'Custom.', '--output', zip).status, 0);
  const r = vql('artifacts', 'import', zip);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(join(TMP, 'xdg', 'vql-workbench', 'artifacts')), ['Custom.Test.Cli.Helper.yaml']);
});

test('vql --help documents pack and import', () => {
  const r = vql('--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /artifacts pack NAME\.\.\. --output FILE\.zip \[--prefix P\]/);
  assert.match(r.stdout, /artifacts import FILE\.zip \[--to DIR\]/);
});
