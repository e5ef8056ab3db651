// `vql serve` from the built CLI (dist/, as installed): prints a tokened URL on 127.0.0.1 and
// serves the built renderer there; without the token, 401.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(join(root, 'dist', 'cli.js')) && existsSync(join(root, 'dist-renderer', 'index.html'));

test('vql serve (built) serves the renderer with the token, 401 without', { skip: built ? false : 'needs npm run build && npm run build:renderer (npm test does both)' }, async () => {
  const ds = mkdtempSync(join(tmpdir(), 'vql-serve-'));
  const child = spawn(process.execPath, [join(root, 'bin', 'vql.js'), 'serve', '--datastore', ds], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}/.exec(out);
        if (m) resolve(m[0]);
      });
      child.once('exit', (code) => reject(new Error(`vql serve exited with ${code}: ${out}`)));
    });
    const page = await (await fetch(url)).text();
    assert.match(page, /<div id="app"><\/div>/);
    assert.equal((await fetch(url.replace(/\?token=.*/, ''))).status, 401);
  } finally {
    const exited = child.exitCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    // The collector it opened writes and releases the datastore before it exits.
    await exited;
    rmSync(ds, { recursive: true, force: true });
  }
});
