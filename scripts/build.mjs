// Bundles the engine ahead of time (no TypeScript compiler at run time):
//   dist/cli.js    the `vql` command (one file: fast start-up)
//   dist/index.js  the library API
//   dist/bench.js  the benchmark
//   dist/query-worker.js  the query worker thread: the app's queries, the CLI's --timeout runs,
//                         the collector's event queries (main/app/query-worker.ts)
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  // CommonJS dependencies (ws) require Node's built-ins; give the ESM bundle a require().
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // DuckDB's bindings load a native module per platform: resolved from node_modules at run time (main/tables/engine.ts imports them lazily).
  // libyara-wasm (yara()) is Emscripten CommonJS that reads __dirname: loaded from node_modules too.
  // So is wasmagic (magic()): its .wasm sits next to its script. So is @virustotal/yara-x (yarax()):
  // main/host/yara/yarax.ts reads its .wasm from the package's folder.
  external: ['@duckdb/*', 'libyara-wasm', '@virustotal/yara-x', 'wasmagic'],
};

// The CLI is split into chunks: each command loads only its own code.
await Promise.all([
  // No source maps for the CLI: Node notices their comments at load, and start-up counts.
  build({ ...common, sourcemap: false, entryPoints: { cli: 'main/cli/vql.ts' }, outdir: 'dist', splitting: true, chunkNames: 'chunks/[name]-[hash]' }),
  // query-worker: the app's query worker thread (main/app/worker-script.ts finds it next to the bundle).
  build({ ...common, entryPoints: { index: 'main/vql/index.ts', bench: 'scripts/bench.ts', 'query-worker': 'main/app/query-worker.ts' }, outdir: 'dist' }),
]);
