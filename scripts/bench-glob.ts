/**
 * `node --import tsx scripts/bench-glob.ts [DIR] [--rounds N] [--json]`: glob() over a large
 * tree (default /usr), every entry with its stat, against `find DIR -printf '%s %m %u\n'` on
 * the same machine (issue 10: within 2x of find).
 *
 * Each round runs find (its output counted, then dropped) and the same work through the built
 * CLI (`npm run build` first; start-up included, as for find): `vql query "SELECT Size, Mode,
 * Sys.Uid FROM glob(globs=DIR + '/**', nosymlink=TRUE)" --format jsonl`, and a variant that also
 * names the owner through a cached lookup of /etc/passwd (find's `%u`). nosymlink makes glob
 * walk the tree find walks (find does not follow links); the default glob (links followed)
 * is timed too. The best round of each is kept (the machine is shared: the best is the least
 * disturbed), and the ratios are of entries per second, with and without the CLI's start-up
 * (timed apart as the same command globbing nothing; find starts in a millisecond).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const json = args.includes('--json');
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 3;
const dir = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--rounds') ?? '/usr';
const cli = fileURLToPath(new URL('../bin/vql.js', import.meta.url));
if (!existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)))) {
  console.error('bench-glob: dist/cli.js is missing: run npm run build first');
  process.exit(2);
}

interface Timing {
  entries: number;
  ms: number;
}

function runFind(): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('find', [dir, '-printf', '%s %m %u\n'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let lines = 0;
    child.stdout.on('data', (b: Buffer) => {
      for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) lines++;
    });
    child.on('error', reject);
    child.on('close', () => resolve({ entries: lines, ms: performance.now() - t0 }));
  });
}

/** Runs `vql query TEXT --format jsonl` (the built CLI, as a user runs it) and counts its lines. */
function runVql(text: string): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [cli, 'query', text, '--format', 'jsonl', '--env', `DIR=${dir}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let lines = 0;
    child.stdout.on('data', (b: Buffer) => {
      for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) lines++;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ entries: lines, ms: performance.now() - t0 }) : reject(new Error(`vql query exited with ${code}`))));
  });
}

const STAT = `SELECT Size, Mode, Sys.Uid AS Uid FROM glob(globs=DIR + '/**', nosymlink=TRUE)`;
const USERS = `LET Users <= memoize(key='Uid', query={
  SELECT split(string=Line, sep=':')[0] AS Name, split(string=Line, sep=':')[2] AS Uid
  FROM parse_lines(filename='/etc/passwd') })
SELECT Size, Mode, get(item=Users, field=str(str=Sys.Uid)).Name AS User FROM glob(globs=DIR + '/**', nosymlink=TRUE)`;
const FOLLOW = `SELECT Size, Mode, Sys.Uid AS Uid FROM glob(globs=DIR + '/**')`;

/** The CLI's own start-up (the same command and plugins, a glob of nothing): find has none to speak of. */
const STARTUP = `SELECT Size, Mode, Sys.Uid AS Uid FROM glob(globs='/nonexistent-vql-bench/**')`;

const best: Record<string, Timing> = {};
const keep = (name: string, t: Timing) => {
  if (!best[name] || t.ms < best[name]!.ms) best[name] = t;
};

// Warm the page cache and the JIT once, untimed.
await runFind();
await runVql(STAT);
for (let r = 0; r < rounds; r++) {
  keep('startup', await runVql(STARTUP));
  keep('find', await runFind());
  keep('glob', await runVql(STAT));
  keep('glob+user', await runVql(USERS));
  keep('glob, links followed', await runVql(FOLLOW));
}

const rate = (t: Timing) => (t.entries / t.ms) * 1000;
const find = rate(best.find!);
const startup = best.startup!.ms;
const rows = Object.entries(best).filter(([name]) => name !== 'startup').map(([name, t]) => {
  const own = name === 'find' ? t.ms : Math.max(1, t.ms - startup);
  return {
    name,
    entries: t.entries,
    ms: Math.round(t.ms),
    entries_per_s: Math.round(rate(t)),
    find_over_this: Number((find / rate(t)).toFixed(2)),
    // Without the CLI's start-up (loading the engine and its plugins), measured apart.
    find_over_this_without_startup: Number((find / ((t.entries / own) * 1000)).toFixed(2)),
  };
});
if (json) console.log(JSON.stringify({ dir, rounds, startup_ms: Math.round(startup), rows }, null, 1));
else {
  console.log(`glob vs find over ${dir} (best of ${rounds} rounds; ratio = find's entries/s / this one's: within 2 means within 2x)`);
  console.log(`  vql start-up (a glob of nothing): ${Math.round(startup)} ms`);
  for (const r of rows) {
    console.log(`  ${r.name.padEnd(22)} ${String(r.entries).padStart(8)} entries ${String(r.ms).padStart(6)} ms ${String(r.entries_per_s).padStart(8)}/s  ratio ${r.find_over_this}  (without start-up ${r.find_over_this_without_startup})`);
  }
}
