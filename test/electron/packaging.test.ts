// Distribution: electron-builder.yml read as data (fast), and the offline packaging check
// (scripts/pack-check.mjs, ~10 s) when VQL_PACK_CHECK=1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { appLayout } from '../../main/electron/policy.ts';

interface BuilderConfig {
  appId: string;
  productName: string;
  directories: { output: string };
  extraMetadata: { main: string; homepage: string; author: { name: string; email: string } };
  files: string[];
  asarUnpack: string[];
  npmRebuild: boolean;
  extraResources: Array<{ from: string; to: string; filter: string[] }>;
  electronFuses: Record<string, boolean>;
  linux: { target: string[]; maintainer: string };
  appImage: { executableArgs: string[] };
  mac: { target: string[] };
  win: { target: string[] };
}

const config = yaml.load(readFileSync('electron-builder.yml', 'utf8')) as BuilderConfig;
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { main: string; scripts: Record<string, string> };

test('electron-builder.yml: identity, output, targets', () => {
  assert.equal(config.productName, 'vql-workbench');
  assert.match(config.appId, /^[a-z0-9-]+(\.[a-z0-9-]+)+$/);
  assert.equal(config.directories.output, 'release');
  assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
  assert.deepEqual(config.mac.target, ['dmg']);
  assert.deepEqual(config.win.target, ['nsis']);
  assert.equal(config.npmRebuild, false);
  // deb (fpm) refuses to build without a homepage and a maintainer with an e-mail.
  assert.match(config.extraMetadata.homepage, /^https:\/\//);
  assert.match(config.linux.maintainer, /<[^@>]+@[^>]+>$/);
});

test('electron-builder.yml: the app is its bundles, entered at dist-main/main.js', () => {
  assert.deepEqual(config.files, [
    'dist-main/**', 'dist-renderer/**', 'package.json', '!node_modules/**', 'node_modules/@duckdb/**',
    'node_modules/libyara-wasm/dist/**', 'node_modules/libyara-wasm/package.json', 'node_modules/@virustotal/yara-x/pkg/**', 'node_modules/@virustotal/yara-x/package.json', 'node_modules/wasmagic/dist/**', 'node_modules/wasmagic/package.json',
    'node_modules/node-sqlite3-wasm/dist/**', 'node_modules/node-sqlite3-wasm/package.json', '!**/*.map',
  ]);
  // Worker threads load real files: the query worker stays outside the asar, where main looks.
  assert.deepEqual(config.asarUnpack, ['dist-main/query-worker.mjs', '**/*.node', '**/*.wasm']);
  assert.equal(config.extraMetadata.main, 'dist-main/main.js');
  // The repository's own "main" stays the library for npm users.
  assert.equal(pkg.main, 'dist/index.js');
  const build = readFileSync('scripts/build-electron.mjs', 'utf8');
  assert.match(build, /entryPoints: \{ main: 'main\/electron\/main\.ts' \},\s*outdir: 'dist-main'/);
  assert.match(build, /outfile: 'dist-main\/preload\.cjs'/);
  // main.ts looks for the preload and the page where the packaged files put them.
  const layout = appLayout({ mainDir: '/app.asar/dist-main', isPackaged: true, resourcesPath: '/res', datastore: '/d' });
  assert.equal(layout.preload, join('/app.asar', 'dist-main', 'preload.cjs'));
  assert.equal(layout.indexHtml, join('/app.asar', 'dist-renderer', 'index.html'));
  assert.equal(layout.queryWorker, join('/res', 'app.asar.unpacked', config.asarUnpack[0]!));
  assert.match(build, /'query-worker': 'main\/app\/query-worker\.ts' \}, outdir: 'dist-main', outExtension: \{ '\.js': '\.mjs' \}/);
});

test('electron-builder.yml: built-in artifacts ship as resources where main looks for them', () => {
  assert.deepEqual(config.extraResources, [{ from: 'artifacts', to: 'artifacts', filter: ['*.yaml'] }]);
  const layout = appLayout({ mainDir: '/res/app.asar/dist-main', isPackaged: true, resourcesPath: '/res', datastore: '/d' });
  assert.equal(layout.builtinArtifacts, join('/res', config.extraResources[0]!.to));
});

test('electron-builder.yml: fuses and the AppImage launcher keep the app locked down', () => {
  assert.deepEqual(config.electronFuses, {
    runAsNode: false, enableNodeOptionsEnvironmentVariable: false, enableNodeCliInspectArguments: false,
    onlyLoadAppFromAsar: true, enableCookieEncryption: true,
    grantFileProtocolExtraPrivileges: false, enableEmbeddedAsarIntegrityValidation: true,
  });
  assert.deepEqual(config.appImage.executableArgs, [], 'no --no-sandbox in the .desktop launcher');
});

test('package.json scripts point at existing files', () => {
  for (const [name, file] of [['build:electron', 'scripts/build-electron.mjs'], ['lint:electron', 'scripts/electronegativity.mjs'], ['pack:check', 'scripts/pack-check.mjs']]) {
    assert.ok(pkg.scripts[name]!.includes(file), `${name}: ${pkg.scripts[name]}`);
    assert.ok(existsSync(file), file);
  }
  assert.match(pkg.scripts.start!, /electron dist-main\/main\.js$/);
  assert.match(pkg.scripts.dist!, /electron-builder --config electron-builder\.yml$/);
});

test('pack-check: electron-builder packages the app offline and the result is complete', { timeout: 300_000 }, (t) => {
  if (process.env.VQL_PACK_CHECK !== '1') {
    t.skip('slow (builds and packages the app): run with VQL_PACK_CHECK=1, or npm run pack:check');
    return;
  }
  const r = spawnSync(process.execPath, ['scripts/pack-check.mjs'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /pack-check: all checks passed/);
  assert.doesNotMatch(r.stdout, /^FAIL/m);
});
