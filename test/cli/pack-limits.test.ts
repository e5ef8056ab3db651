// The artifact size limit in the CLI, end to end (`node bin/vql.js`, the bundle): `vql artifacts
// import` refuses a zip over the pack limit from its size (a sparse 2 GiB file: reading it
// would take seconds and the memory) and the report's pack of four 49 MiB artifacts from their
// headers; `vql artifacts verify` reports a huge file in a folder with its size and the limit
// and verifies the rest; `--definitions` with such a file still runs queries.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { craftZip } from '../security/zip-craft.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vql.js');
if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32' });
  if (b.status !== 0) throw new Error(`npm run build failed:\n${b.stdout}\n${b.stderr}`);
}
const TMP = mkdtempSync(join(tmpdir(), 'vql-pack-limits-cli-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

function vql(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A sparse file of `bytes` bytes (no disk used). */
function sparse(path: string, bytes: number): void {
  writeFileSync(path, '');
  truncateSync(path, bytes);
}

test('vql artifacts import: a 2 GiB "zip" is refused from its size, nothing written', () => {
  const zip = join(TMP, 'huge.zip');
  sparse(zip, 2 * 2 ** 30);
  const to = join(TMP, 'to-huge');
  const r = vql('artifacts', 'import', zip, '--to', to);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr, `ERROR: ${zip} is 2 GiB, more than the 16 MiB a pack zip may be: nothing was imported\n`);
  assert.equal(existsSync(to), false);
});

test('vql artifacts import: the report\'s pack (four 49 MiB artifacts in 2.8 MB) is refused from its headers', () => {
  const zip = join(TMP, 'report.zip');
  writeFileSync(zip, craftZip(Array.from({ length: 4 }, (_, i) => ({ name: `Custom/Big${i}.yaml`, raw: new Uint8Array(700_000), size: 49 * 2 ** 20, crc: 0 }))));
  const to = join(TMP, 'to-report');
  const r = vql('artifacts', 'import', zip, '--to', to);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /entry 'Custom\/Big0\.yaml' is more than 1 MiB \(1048576 bytes\), the most an artifact file may be: its zip header declares 49 MiB \(51380224 bytes\); the pack is refused/);
  assert.match(r.stdout, /0 artifacts imported/);
  assert.equal(existsSync(to), false);
});

test('vql artifacts verify and --definitions: a huge file is one error with its size and the limit; the others load', () => {
  const dir = join(TMP, 'defs');
  mkdirSync(dir);
  writeFileSync(join(dir, 'Fine.yaml'), 'name: Custom.Fine\nsources:\n  - query: SELECT 42 AS Answer FROM scope()\n');
  sparse(join(dir, 'Huge.yaml'), 2 * 2 ** 30);
  const v = vql('artifacts', 'verify', dir);
  assert.equal(v.status, 1);
  assert.ok(v.stdout.includes(`${join(dir, 'Huge.yaml')}:1:1: error: the file is 2 GiB (2147483648 bytes), more than the 1 MiB (1048576 bytes) an artifact definition may be`), v.stdout);
  assert.match(v.stdout, /Verified .*Fine\.yaml: OK/);
  assert.match(v.stdout, /1 passed, 1 failed/);
  const q = vql('query', '--definitions', dir, 'SELECT * FROM Artifact.Custom.Fine()');
  assert.equal(q.status, 0, q.stderr);
  assert.match(q.stdout, /"Answer": ?42/);
  assert.deepEqual(readdirSync(dir).sort(), ['Fine.yaml', 'Huge.yaml']);
});
