// Validates electron-builder.yml offline (npm run pack:check). electron-builder downloads Electron
// for a real build, which this machine cannot; with a fake Electron dist (a directory holding an
// executable named `electron`) it still runs the whole packaging of the linux "dir" target:
// config schema, file patterns, asar, extra resources, extra metadata and the fuses. Then this
// script opens the result and checks it. It prints what it could not validate.
//
//   node scripts/pack-check.mjs [--skip-build] [--keep]
//
// Exit 0 when every check passed, 1 otherwise.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const asar = require('@electron/asar');
const { getCurrentFuseWire, FuseV1Options } = require('@electron/fuses');

const root = resolve(import.meta.dirname, '..');
const args = new Set(process.argv.slice(2));
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};
const timed = (label, fn) => {
  const t0 = performance.now();
  const r = fn();
  console.log(`-- ${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return r;
};
const run = (cmd, argv, env = {}) => {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`pack-check: \`${cmd} ${argv.join(' ')}\` failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
};

// 1. The bundles the app is made of.
if (!args.has('--skip-build')) {
  timed('build (renderer, shell)', () => {
    run(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn']);
    run(process.execPath, ['scripts/build-electron.mjs']);
  });
}
for (const f of ['dist-main/main.js', 'dist-main/query-worker.mjs', 'dist-main/preload.cjs', 'dist-renderer/index.html']) {
  if (!existsSync(join(root, f))) {
    console.error(`pack-check: ${f} is missing: run npm run build:renderer && npm run build:electron (or drop --skip-build)`);
    process.exit(1);
  }
}

// 2. A fake Electron: a shell script carrying an Electron fuse wire (sentinel, version 1, 8
// fuses in Electron's default states), so electron-builder's fuse flipping runs for real and
// the result can be read back.
const work = mkdtempSync(join(tmpdir(), 'vql-pack-'));
const fakeDist = join(work, 'fake-electron');
mkdirSync(fakeDist);
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
writeFileSync(join(fakeDist, 'electron'), Buffer.concat([
  Buffer.from(`#!/bin/sh\n# fake Electron for pack-check\nexit 0\n# ${SENTINEL}`),
  Buffer.from([1, 8]),
  Buffer.from('10110001\n'),
]));
chmodSync(join(fakeDist, 'electron'), 0o755);
const out = join(work, 'release');

// 3. The packaging itself.
timed('electron-builder --linux dir', () => run(process.execPath, [
  'node_modules/electron-builder/cli.js', '--linux', 'dir', '--config', 'electron-builder.yml',
  `-c.electronDist=${fakeDist}`, `-c.directories.output=${out}`,
], { ELECTRON_BUILDER_CACHE: join(work, 'cache') }));

// 4. What came out.
const unpacked = join(out, 'linux-unpacked');
const archive = join(unpacked, 'resources', 'app.asar');
check(existsSync(archive), 'resources/app.asar exists');
const files = existsSync(archive) ? asar.listPackage(archive, { isPack: false }).map((p) => p.replaceAll('\\', '/')) : [];
for (const f of ['/package.json', '/dist-main/main.js', '/dist-main/preload.cjs', '/dist-renderer/index.html']) {
  check(files.includes(f), `app.asar contains ${f}`);
}
check(files.some((f) => f.startsWith('/dist-renderer/assets/') && f.endsWith('.js')), 'app.asar contains the renderer scripts (dist-renderer/assets/*.js)');
const worker = join(unpacked, 'resources', 'app.asar.unpacked', 'dist-main', 'query-worker.mjs');
check(existsSync(worker), 'the query worker is unpacked: resources/app.asar.unpacked/dist-main/query-worker.mjs');
check(!files.some((f) => /^\/(main|test|renderer|scripts)\//.test(f)), 'app.asar holds no sources (main/, renderer/, test/, scripts/)');
check(!files.some((f) => f.endsWith('.map')), 'app.asar holds no source maps');
const SHIPPED_MODULES = ['@duckdb', 'libyara-wasm', '@virustotal/yara-x', 'wasmagic', 'node-sqlite3-wasm'];
// A scoped module also lists its scope's folder (/node_modules/@virustotal).
const isShipped = (f) => SHIPPED_MODULES.some((m) => f.startsWith(`/node_modules/${m}`) || `/node_modules/${m}`.startsWith(`${f}/`));
check(!files.some((f) => f.startsWith('/node_modules/') && !isShipped(f)), `app.asar holds no node_modules but ${SHIPPED_MODULES.join(', ')} (the bundles are self-contained)`);
check(files.some((f) => f.startsWith('/node_modules/node-sqlite3-wasm/dist/')), 'app.asar holds node-sqlite3-wasm (required by the first sqlite() call)');
const unpackedWasm = existsSync(join(unpacked, 'resources', 'app.asar.unpacked', 'node_modules')) ? readdirSync(join(unpacked, 'resources', 'app.asar.unpacked', 'node_modules'), { recursive: true }).filter((f) => String(f).endsWith('.wasm')) : [];
check(unpackedWasm.length >= 3, `the WebAssembly modules are unpacked, so worker threads read them as plain files (${unpackedWasm.join(', ') || 'none'}; libyara-wasm carries its module inside its script)`);
check(files.some((f) => f.startsWith('/node_modules/wasmagic/dist/')), 'app.asar holds wasmagic (loaded by the first magic() call)');
check(files.some((f) => f.startsWith('/node_modules/libyara-wasm/dist/')), 'app.asar holds libyara-wasm (loaded by the first yara() call)');
check(files.includes('/node_modules/@virustotal/yara-x/pkg/yara_x_js.js') && unpackedWasm.some((f) => String(f).replaceAll('\\', '/').endsWith('@virustotal/yara-x/pkg/yara_x_js_bg.wasm')),
  'app.asar holds @virustotal/yara-x, its .wasm unpacked (loaded by the first yarax() call)');
check(files.some((f) => f.startsWith('/node_modules/@duckdb/node-api/')), 'app.asar holds @duckdb/node-api (loaded when a table opens)');
const unpackedModules = join(unpacked, 'resources', 'app.asar.unpacked', 'node_modules', '@duckdb');
const nativeFiles = existsSync(unpackedModules) ? readdirSync(unpackedModules, { recursive: true }).filter((f) => String(f).endsWith('.node')) : [];
check(nativeFiles.length > 0, `DuckDB's native module is unpacked (resources/app.asar.unpacked/node_modules/@duckdb/**/*.node: ${nativeFiles.join(', ') || 'none'})`);
if (files.length) {
  const pkg = JSON.parse(asar.extractFile(archive, 'package.json').toString());
  check(pkg.main === 'dist-main/main.js', `packaged package.json "main" is dist-main/main.js (got ${pkg.main})`);
}
const builtins = readdirSync(join(root, 'artifacts')).filter((f) => f.endsWith('.yaml')).sort();
const shipped = existsSync(join(unpacked, 'resources', 'artifacts')) ? readdirSync(join(unpacked, 'resources', 'artifacts')).sort() : [];
check(builtins.length > 0 && JSON.stringify(shipped) === JSON.stringify(builtins),
  `resources/artifacts holds the ${builtins.length} built-in artifacts (got ${shipped.length}: ${shipped.join(', ')})`);
// The unpacked worker runs on its own (no package.json next to it) and finds the built-in
// artifacts the way the packaged main sets them up: collect one through the real service.
if (existsSync(worker)) {
  const probe = `
    import { AppService } from ${JSON.stringify(pathToFileURL(join(root, 'main/app/service.ts')).href)};
    const pushes = [];
    const s = new AppService({ userArtifacts: ${JSON.stringify(join(work, 'user-artifacts'))}, workerScript: ${JSON.stringify(worker)},
      push: (channel, ...args) => pushes.push([channel, args]) });
    const r = await s.invoke('artifacts:collect', { artifact: 'Generic.Client.Info' });
    if (!r.ok) { console.log(JSON.stringify({ error: r.error })); process.exit(0); }
    while (!pushes.some(([c]) => c === 'vql:done')) await new Promise((res) => setTimeout(res, 20));
    const rows = pushes.filter(([c]) => c === 'vql:rows').flatMap(([, a]) => a[1].map((x) => JSON.parse(x)));
    console.log(JSON.stringify({ done: pushes.find(([c]) => c === 'vql:done')[1][1], hostRows: rows.filter((x) => 'Hostname' in x).length }));
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], {
    cwd: root, encoding: 'utf8', env: { ...process.env, VQL_BUILTIN_ARTIFACTS: join(unpacked, 'resources', 'artifacts') },
  });
  let result = {};
  try {
    result = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
  } catch {
    result = { error: `${r.stdout}\n${r.stderr}`.trim() };
  }
  check(result.hostRows === 1 && !result.done?.error,
    `the unpacked worker collects the shipped Generic.Client.Info (${JSON.stringify(result.error ?? result.done?.error ?? result)})`);
}
const exe = join(unpacked, 'vql-workbench');
check(existsSync(exe), 'the executable is linux-unpacked/vql-workbench');
if (existsSync(exe)) {
  const wire = await getCurrentFuseWire(exe);
  const on = (f) => wire[f] === 49; // FuseState.ENABLE is the byte '1'
  check(!on(FuseV1Options.RunAsNode), 'fuse RunAsNode is off');
  check(!on(FuseV1Options.EnableNodeOptionsEnvironmentVariable), 'fuse EnableNodeOptionsEnvironmentVariable is off');
  check(!on(FuseV1Options.EnableNodeCliInspectArguments), 'fuse EnableNodeCliInspectArguments is off');
  check(on(FuseV1Options.OnlyLoadAppFromAsar), 'fuse OnlyLoadAppFromAsar is on');
  check(on(FuseV1Options.EnableCookieEncryption), 'fuse EnableCookieEncryption is on');
  check(!on(FuseV1Options.GrantFileProtocolExtraPrivileges), 'fuse GrantFileProtocolExtraPrivileges is off');
  check(on(FuseV1Options.EnableEmbeddedAsarIntegrityValidation), 'fuse EnableEmbeddedAsarIntegrityValidation is on');
}

// 5. AppImage, when the squashfs and desktop-file tools are installed (Debian: apt-get install
// squashfs-tools desktop-file-utils). electron-builder would download its AppImage tool kit;
// APPIMAGE_TOOLS_PATH points it at the system's tools instead. Debian has no AppImage runtime, so
// a placeholder stands in for it: the image is not runnable, but its contents are checked.
const which = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
const tools = { mksquashfs: which('mksquashfs'), unsquashfs: which('unsquashfs'), validate: which('desktop-file-validate') };
let appImage = false;
if (tools.mksquashfs && tools.unsquashfs && tools.validate) {
  const kit = join(work, 'appimage-tools');
  mkdirSync(join(kit, 'linux-x64'), { recursive: true });
  mkdirSync(join(kit, 'lib', 'x64'), { recursive: true });
  symlinkSync(tools.mksquashfs, join(kit, 'linux-x64', 'mksquashfs'));
  symlinkSync(tools.validate, join(kit, 'linux-x64', 'desktop-file-validate'));
  const runtime = Buffer.from('placeholder AppImage runtime\n');
  writeFileSync(join(kit, 'runtime-x64'), runtime);
  timed('electron-builder --linux AppImage', () => run(process.execPath, [
    'node_modules/electron-builder/cli.js', '--linux', 'AppImage', '--config', 'electron-builder.yml',
    `-c.electronDist=${fakeDist}`, `-c.directories.output=${out}`,
  ], { ELECTRON_BUILDER_CACHE: join(work, 'cache'), APPIMAGE_TOOLS_PATH: kit }));
  const image = readdirSync(out).find((f) => f.endsWith('.AppImage'));
  check(!!image, `an AppImage was written (${image ?? 'none'})`);
  if (image) {
    const list = spawnSync(tools.unsquashfs, ['-o', String(runtime.length), '-l', join(out, image)], { encoding: 'utf8' }).stdout;
    for (const f of ['vql-workbench.desktop', 'AppRun', 'resources/app.asar', 'resources/artifacts/Generic.Client.Stats.yaml']) {
      check(list.includes(`squashfs-root/${f}`), `the AppImage contains ${f}`);
    }
    const desktop = spawnSync(tools.unsquashfs, ['-o', String(runtime.length), '-cat', join(out, image), 'vql-workbench.desktop'], { encoding: 'utf8' }).stdout;
    check(/^Exec=AppRun %U$/m.test(desktop), `the AppImage's launcher keeps Chromium's sandbox (${/^Exec=.*$/m.exec(desktop)?.[0] ?? 'no Exec line'})`);
    appImage = true;
  }
} else {
  console.log('note AppImage not checked: install squashfs-tools and desktop-file-utils to check it offline');
}

console.log(`
Validated here: the config (electron-builder's schema), the linux "dir" packaging against a fake
Electron, the asar contents, package.json "main", the built-in artifacts as resources, the
unpacked query worker (run under Node ${process.versions.node}, not Electron's Node), the fuses${appImage ? ',\nand the AppImage\'s contents (with a placeholder runtime: not runnable)' : ''}.
Not validated here (they need downloads or another OS): the Electron binary itself and whether the
app starts${appImage ? '' : '; AppImage (needs squashfs-tools, desktop-file-utils)'}; deb (electron-builder downloads fpm);
dmg (macOS only); nsis (electron-builder downloads NSIS).`);

if (args.has('--keep')) console.log(`output kept in ${out}`);
else rmSync(work, { recursive: true, force: true });
if (failures.length) {
  console.error(`pack-check: ${failures.length} check(s) failed`);
  process.exit(1);
}
console.log('pack-check: all checks passed');
