// Bundles the engine ahead of time (no TypeScript compiler at run time):
//   dist/cli.js    the `vql` command (one file: fast start-up)
//   dist/index.js  the library API
//   dist/bench.js  the benchmark
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
};

await Promise.all([
  build({ ...common, entryPoints: { cli: 'main/cli/vql.ts', index: 'main/vql/index.ts', bench: 'scripts/bench.ts' }, outdir: 'dist' }),
]);
