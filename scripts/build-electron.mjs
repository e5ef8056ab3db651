// Bundles the Electron shell (npm run build:electron):
//   dist-main/main.js            the main process (ESM, Node platform; electron stays external)
//   dist-main/query-worker.mjs   its query worker thread. .mjs: the packaged app runs it from
//                                app.asar.unpacked (outside the asar, where package.json's
//                                "type": "module" does not reach)
//   dist-main/preload.cjs        the window's preload (CommonJS: a sandboxed preload is not an
//                                ES module and may require only 'electron')
// The renderer is built by vite (npm run build:renderer) into dist-renderer/.
import { build } from 'esbuild';

const node = {
  bundle: true,
  platform: 'node',
  // Electron 45 runs Node 22.
  target: 'node22',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  // DuckDB's bindings load a native module per platform: resolved from node_modules at run time.
  // libyara-wasm (yara()) is Emscripten CommonJS that reads __dirname: loaded from node_modules too.
  // So is wasmagic (magic()), and @virustotal/yara-x (yarax()), whose .wasm is read from its folder.
  external: ['electron', '@duckdb/*', 'libyara-wasm', '@virustotal/yara-x', 'wasmagic'],
  // CommonJS dependencies require Node's built-ins; give the ESM bundle a require().
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
};

const started = performance.now();
await Promise.all([
  build({ ...node, entryPoints: { main: 'main/electron/main.ts' }, outdir: 'dist-main' }),
  build({ ...node, entryPoints: { 'query-worker': 'main/app/query-worker.ts' }, outdir: 'dist-main', outExtension: { '.js': '.mjs' } }),
  build({
    entryPoints: { preload: 'main/electron/preload.ts' },
    outfile: 'dist-main/preload.cjs',
    bundle: true,
    // A sandboxed preload runs in the renderer: no Node built-ins to lean on.
    platform: 'browser',
    target: 'chrome140',
    format: 'cjs',
    logLevel: 'warning',
    external: ['electron'],
  }),
]);
console.log(`dist-main/main.js, query-worker.mjs, preload.cjs built in ${Math.round(performance.now() - started)} ms`);
