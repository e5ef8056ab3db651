// Builds the engine bundle (dist/, scripts/build.mjs) and the renderer (dist-renderer/, vite)
// only when their sources changed since the last build, so `npm run serve` starts in well under
// a second when nothing changed (a full build is about 11 s on a loaded 2-core machine).
//
// "Changed" is decided by content, not by time stamps: a SHA-256 over the path and bytes of
// every input file is kept next to the output (dist/.inputs-sha256, dist-renderer/.inputs-sha256)
// after a successful build; a file added, removed or edited (whatever its mtime) changes it.
// The stamp also records the outputs' size and time, so an output written by another build
// (`npm run build`, made from other sources) is not taken for the stamped one.
// Hashing the ~3 MB of sources takes some tens of milliseconds. A missing output rebuilds too.
//
// Prints one line per part (`engine: up to date`, `renderer: built in 6.1 s`) on stderr and
// nothing of the bundlers' own timing unless they warn; exit status 1 when a build fails.
//
//   node scripts/build-if-changed.mjs [--force] [engine] [renderer]   (default: both)
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

/**
 * The parts: what each reads and what it writes. The inputs are generous on purpose (the whole
 * main/ for the renderer, which imports pure modules from it): a needless build costs seconds,
 * a stale bundle costs a confusing afternoon.
 */
export const PARTS = {
  engine: {
    inputs: ['main', 'scripts', 'package.json', 'package-lock.json'],
    outputs: ['dist/cli.js', 'dist/index.js', 'dist/query-worker.js'],
    stamp: 'dist/.inputs-sha256',
    command: [process.execPath, ['scripts/build.mjs']],
  },
  renderer: {
    inputs: ['renderer', 'main', 'vite.config.ts', 'svelte.config.js', 'package.json', 'package-lock.json'],
    outputs: ['dist-renderer/index.html'],
    stamp: 'dist-renderer/.inputs-sha256',
    command: [process.execPath, [join('node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn']],
  },
};

/** Every file under `path` (a file or a folder), sorted, skipping dot-files and node_modules. */
function files(path, out = []) {
  const abs = join(root, path);
  if (!existsSync(abs)) return out;
  if (statSync(abs).isFile()) {
    out.push(path);
    return out;
  }
  for (const e of readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const rel = join(path, e.name);
    if (e.isDirectory()) files(rel, out);
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

/** The digest of a part's inputs: each file's path and bytes, in a fixed order. */
export function inputsDigest(part) {
  const h = createHash('sha256');
  for (const f of [...new Set(part.inputs.flatMap((p) => files(p)))].sort()) {
    const bytes = readFileSync(join(root, f));
    h.update(`${f.split('\\').join('/')}\0${bytes.length}\0`);
    h.update(bytes);
  }
  return h.digest('hex');
}

/** The outputs as they are now (size and modification time of each). */
function outputsPrint(part) {
  return part.outputs.map((o) => {
    const st = statSync(join(root, o));
    return `${o}:${st.size}:${Math.round(st.mtimeMs)}`;
  }).join(' ');
}

/** Why a part needs building, or null when its outputs match its inputs. */
export function staleReason(part, digest = inputsDigest(part)) {
  const missing = part.outputs.find((o) => !existsSync(join(root, o)));
  if (missing) return `${missing} is missing`;
  const stamp = join(root, part.stamp);
  if (!existsSync(stamp)) return 'no record of the last build';
  const [was, outputs] = readFileSync(stamp, 'utf8').split('\n');
  if (was !== digest) return 'sources changed';
  return outputs === outputsPrint(part) ? null : 'built elsewhere since';
}

/** `text` without rolldown's plugin timing report (from `[PLUGIN_TIMINGS]` to its "Learn more" line). */
export function withoutTimings(text) {
  const out = [];
  let skipping = false;
  for (const line of text.split('\n')) {
    if (line.includes('[PLUGIN_TIMINGS]')) skipping = true;
    if (!skipping) out.push(line);
    else if (/^Learn more at .*bundlertimings/i.test(line.trim())) skipping = false;
  }
  return out.join('\n');
}

function buildPart(name, force) {
  const part = PARTS[name];
  const digest = inputsDigest(part);
  const reason = force ? 'forced' : staleReason(part, digest);
  if (!reason) {
    process.stderr.write(`${name}: up to date\n`);
    return true;
  }
  const t0 = performance.now();
  const [cmd, args] = part.command;
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}${name}: build failed (exit ${r.status ?? r.signal})\n`);
    return false;
  }
  // Warnings stay; the bundler's report of its plugins' timings (rolldown's PLUGIN_TIMINGS) goes.
  const said = withoutTimings(r.stderr ?? '');
  if (said.trim()) process.stderr.write(said.endsWith('\n') ? said : said + '\n');
  // The stamp is the digest taken before the build: a file edited during it rebuilds next time.
  writeFileSync(join(root, part.stamp), `${digest}\n${outputsPrint(part)}\n`);
  process.stderr.write(`${name}: built in ${((performance.now() - t0) / 1000).toFixed(1)} s (${reason})\n`);
  return true;
}

if (process.argv[1] && relative(fileURLToPath(import.meta.url), process.argv[1]) === '') {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const wanted = args.filter((a) => a !== '--force');
  const unknown = wanted.filter((a) => !(a in PARTS));
  if (unknown.length) {
    process.stderr.write(`build-if-changed: unknown part ${unknown.join(', ')}: use engine, renderer or --force\n`);
    process.exit(2);
  }
  const names = wanted.length ? wanted : Object.keys(PARTS);
  for (const n of names) if (!buildPart(n, force)) process.exit(1);
}
