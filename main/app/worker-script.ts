/**
 * Finding and starting the query worker (the app's query pool, and the stream jobs of the CLI's
 * `--timeout` runs and the collector's event queries) in both worlds the app runs in:
 *
 * - From source (tests, `node --import tsx`): this module is a .ts file and the worker is
 *   main/app/query-worker.ts next to it.
 * - Bundled (dist/cli.js and its dist/chunks/*.js for `vql serve`; dist-main/main.js for
 *   Electron): the worker is the separately built dist/query-worker.js (scripts/build.mjs), looked
 *   for next to the bundle (also as .mjs, which scripts/build-electron.mjs writes to dist-main/),
 *   one folder up (chunks/), and in ../dist/ (dist-main/); failing those, the .ts source when
 *   tsx is installed.
 *
 * The base is this module's own file (import.meta.url, or __filename when bundled as CommonJS,
 * where import.meta is empty), so the answer does not depend on the working directory. An
 * explicit `workerScript` option overrides the search (packagers that move files around).
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EngineOptions } from './query-job.ts';
import type { StreamWorkerData } from './stream-job.ts';

/** A worker script that can be started: built JavaScript, or TypeScript plus tsx's API. */
export interface WorkerEntry {
  readonly file: string;
  /** file: URL of `tsx/esm/api`, set for a .ts entry. */
  readonly tsxApi?: string;
}

function thisModule(): string | undefined {
  if (import.meta.url) return fileURLToPath(import.meta.url);
  return typeof __filename === 'string' ? __filename : undefined;
}

/** Where the worker may be, best first, for a module (or bundle) at `from`. */
export function workerCandidates(from: string): string[] {
  const dir = dirname(from);
  if (from.endsWith('.ts')) return [join(dir, 'query-worker.ts')];
  return [
    join(dir, 'query-worker.js'),
    join(dir, 'query-worker.mjs'),
    join(dir, '..', 'query-worker.js'),
    join(dir, '..', 'dist', 'query-worker.js'),
    join(dir, '..', 'main', 'app', 'query-worker.ts'),
  ];
}

/** file: URL of tsx's ESM API as installed for `from`, or undefined when tsx is not installed. */
function tsxApiFor(from: string): string | undefined {
  let pkgFile: string;
  try {
    pkgFile = createRequire(from).resolve('tsx/package.json');
  } catch {
    // Not installed (a packaged app): .ts candidates are then unusable, and skipped.
    return undefined;
  }
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports?: Record<string, { import?: { default?: string } }> };
  const rel = pkg.exports?.['./esm/api']?.import?.default;
  return rel ? pathToFileURL(join(dirname(pkgFile), rel)).href : undefined;
}

/**
 * The query worker to start: `explicit` when given (it must exist), else the first usable
 * candidate next to this module. Null when none exists: the service then runs queries inline.
 */
export function resolveWorkerEntry(explicit?: string, from = thisModule()): WorkerEntry | null {
  const files = explicit ? [resolve(explicit)] : from ? workerCandidates(from) : [];
  for (const candidate of files) {
    const file = unpacked(candidate);
    if (!existsSync(file)) continue;
    if (!file.endsWith('.ts')) return { file };
    const tsxApi = tsxApiFor(from ?? file);
    if (tsxApi) return { file, tsxApi };
  }
  return null;
}

/**
 * Inside Electron's app.asar a file can be read but not started as a worker: the packaged app
 * keeps the worker in app.asar.unpacked (electron-builder.yml), which is the one to use.
 */
function unpacked(file: string): string {
  const m = /([\\/])app\.asar([\\/])/.exec(file);
  if (!m) return file;
  const other = file.slice(0, m.index) + m[1] + 'app.asar.unpacked' + m[2] + file.slice(m.index + m[0].length);
  return existsSync(other) ? other : file;
}

/**
 * Starts a query worker. A .ts entry gets a tiny ESM bootstrap (a data: URL) that registers
 * tsx and then imports it. Why not `execArgv: ['--import', 'tsx']`: on Node 20, tsx (4.23)
 * installs its hooks only on the main thread, so a worker started that way fails with "Unknown
 * file extension .ts" (tried on 20.20); registering through tsx's API inside the worker works.
 * execArgv is empty either way: the parent's flags (`--test`, `--import tsx`) are not the worker's.
 */
export function startWorker(entry: WorkerEntry, data: EngineOptions | StreamWorkerData, resourceLimits?: ResourceLimits): Worker {
  const options = { workerData: data, execArgv: [], ...(resourceLimits ? { resourceLimits } : {}) };
  if (!entry.tsxApi) return new Worker(entry.file, options);
  const bootstrap = `import { register } from ${JSON.stringify(entry.tsxApi)};\nregister();\nawait import(${JSON.stringify(pathToFileURL(entry.file).href)});\n`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), options);
}
