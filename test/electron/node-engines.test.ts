// package.json `engines` tells the truth: every Node it admits is one the tools of the engine,
// the CLI, the tests and the builds declare they support (vite and rolldown need ^20.19 or
// >=22.12: Node 21 and 22.0-22.11 lack the require(esm) they load through; Svelte's vite plugin
// leaves out Node 23 too). The Electron tooling
// (electron's installer, @electron/get 5, @electron/rebuild, node-abi) declares >=22.12: that is
// why `npm install` warns on Node 20, and docs say which part needs which Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = (name: string) => JSON.parse(readFileSync(`${root}node_modules/${name}/package.json`, 'utf8')) as { engines?: { node?: string } };
const ours = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { engines: { node: string } }).engines.node;
const semverPath = `${root}node_modules/semver/package.json`;

test('engines admits only Nodes the build, test and runtime packages support', { skip: existsSync(semverPath) ? false : 'node_modules/semver is absent (it comes with electron-builder): skipped' }, () => {
  const semver = createRequire(import.meta.url)(`${root}node_modules/semver`) as { subset(a: string, b: string): boolean; satisfies(v: string, r: string): boolean };
  assert.ok(semver.satisfies(process.version, ours), `this Node (${process.version}) is in engines (${ours})`);
  const needed = ['vite', 'rolldown', '@sveltejs/vite-plugin-svelte', 'playwright-core', 'tsx', 'esbuild', 'typescript', 'svelte', 'svelte-check', 'ws', 'fast-xml-parser'];
  for (const name of needed) {
    const range = pkg(name).engines?.node;
    if (!range) continue;
    assert.ok(semver.subset(ours, range), `${name} declares node ${range}: engines (${ours}) must not admit more`);
  }
  for (const v of ['20.18.1', '21.7.3', '22.11.0', '23.11.0']) assert.ok(!semver.satisfies(v, ours), `Node ${v} is not one the renderer's build supports (vite ${pkg('vite').engines?.node}, its Svelte plugin ${pkg('@sveltejs/vite-plugin-svelte').engines?.node})`);
});
