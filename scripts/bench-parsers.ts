/**
 * `node --import tsx scripts/bench-parsers.ts [--mb 100] [--only split,regex,sqlite]`
 *
 * Throughput and memory of the record parsers and of sqlite (issue 10's targets):
 * - split_records and parse_records_with_regex over a generated 100 MB text file (the
 *   target: at least 100 MB/s for the plugin alone), each path of both: split_records' one-
 *   character record separator and its general path, parse_records_with_regex's two native
 *   classes (main/vql/regex/record-subset.ts) and re2js;
 * - sqlite over a 100,000-row table, and over a database larger than 64 MB.
 *
 * Each case runs in its own process, so its peak RSS is its own; an idle process's RSS is
 * printed for comparison. Two rates per text case: the plugin alone (its rows consumed as it
 * yields them, no query around it) and through the engine (`SELECT * FROM plugin()`, every
 * row streamed out of the query). MB/s is input bytes per wall-clock second, and per CPU second
 * (the machine is shared: wall-clock time depends on its load). `--only` runs some of the
 * three groups: split (split_records), regex (parse_records_with_regex), sqlite.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { resourceUsage } from 'node:process';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);

/** Short lines of /proc/mounts' shape (~65 bytes, 6 columns) or syslog lines (~150 bytes). */
async function writeText(path: string, bytes: number, shape: 'mounts' | 'syslog'): Promise<number> {
  const out = createWriteStream(path);
  let written = 0;
  for (let i = 0; written < bytes; ) {
    let chunk = '';
    for (let k = 0; k < 1000; k++, i++) {
      chunk += shape === 'mounts'
        ? `/dev/sda${i % 9} /mnt/point${i} ext4 rw,relatime,errors=remount-ro 0 ${i % 3}\n`
        : `Dec 21 15:54:${String(i % 60).padStart(2, '0')} host sshd[${1000 + (i % 5000)}]: Accepted publickey for user${i % 50} from 10.0.${i % 255}.${i % 200} port ${20000 + (i % 9999)} ssh2: RSA SHA256:abcdefghijklmnop\n`;
    }
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', () => r(undefined)));
  }
  await new Promise((r) => out.end(() => r(undefined)));
  return written;
}

interface CaseResult {
  rows: number;
  seconds: number;
  /** CPU seconds (user + system): the machine is shared, wall-clock time depends on the load. */
  cpu: number;
  peakMB: number;
}

/** Runs in the child: one case, prints its result as JSON. */
async function runCase(kind: string, text: string, vars: Record<string, unknown>): Promise<void> {
  const { createHostRegistry } = await import('../main/host/index.ts');
  const { runBatches, collect } = await import('../main/vql/index.ts');
  const registry = createHostRegistry();
  void collect;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let rows = 0;
  if (kind === 'plugin') {
    // The plugin alone: its run() driven directly, rows counted as they come.
    const { Session } = await import('../main/vql/eval/session.ts');
    const session = new Session({ registry, log: () => {} } as never);
    const scope = (session as unknown as { scope: unknown }).scope;
    const [name, args] = JSON.parse(text) as [string, Record<string, unknown>];
    const def = registry.findPlugin(name)!;
    const call = { scope, args: { ...args, ...vars }, signal: new AbortController().signal, log: () => {} };
    for await (const b of def.run(call as never) as AsyncIterable<unknown>) rows += Array.isArray(b) ? b.length : 1;
  } else {
    for await (const batch of runBatches(text, { registry, vars })) rows += batch.length;
  }
  const c = process.cpuUsage(c0);
  const result: CaseResult = { rows, seconds: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, peakMB: Math.round(resourceUsage().maxRSS / 1024) };
  console.log(JSON.stringify(result));
}

function child(kind: string, text: string, vars: Record<string, unknown>): CaseResult {
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--case', kind, '--text', text, '--vars', JSON.stringify(vars)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as CaseResult;
}

function report(label: string, r: CaseResult, bytes: number | null): void {
  const per = (s: number) => (bytes !== null ? `${(bytes / 1e6 / s).toFixed(1)} MB/s` : `${Math.round(r.rows / s).toLocaleString('en')} rows/s`);
  console.log(`${label.padEnd(58)} ${r.rows.toLocaleString('en').padStart(10)} rows ${r.seconds.toFixed(2).padStart(6)} s ${per(r.seconds).padStart(15)} (per CPU-second: ${per(r.cpu)})  peak RSS ${r.peakMB} MB`);
}

async function main(): Promise<void> {
  const mb = Number(arg('--mb') ?? 100);
  const groups = (arg('--only') ?? 'split,regex,sqlite').split(',');
  const run = (group: string) => groups.includes(group);
  const dir = await mkdtemp(join(tmpdir(), 'vql-bench-parsers-'));
  try {
    const idle = child('query', 'SELECT 1 FROM scope()', {});
    console.log(`idle process: peak RSS ${idle.peakMB} MB`);
    const files: Record<string, { file: string; bytes: number }> = {};
    for (const shape of run('split') ? (['syslog', 'mounts'] as const) : run('regex') ? (['mounts'] as const) : []) {
      const file = join(dir, `${shape}.txt`);
      files[shape] = { file, bytes: await writeText(file, mb * 1e6, shape) };
    }
    if (run('split')) console.log('\nThe target (issue 10): at least 100 MB/s over a 100 MB file, for the plugin alone.');
    for (const shape of run('split') ? (['syslog', 'mounts'] as const) : []) {
      const { file, bytes } = files[shape]!;
      console.log(`\nsplit_records, ${shape} lines: ${(bytes / 1e6).toFixed(1)} MB`);
      report('split_records (defaults: lines, \\s+), plugin alone', child('plugin', JSON.stringify(['split_records', {}]), { filenames: file }), bytes);
      report('split_records (defaults), SELECT * through the engine', child('query', 'SELECT * FROM split_records(filenames=F)', { F: file }), bytes);
    }
    if (run('split')) {
      report("split_records (regex=',', record_regex='\\n' as Crontab), plugin", child('plugin', JSON.stringify(['split_records', { regex: ',' }]), { filenames: files.mounts!.file }), files.mounts!.bytes);
      report('split_records (record_regex=(?:\\n): the general path), plugin', child('plugin', JSON.stringify(['split_records', { record_regex: '(?:\\n)' }]), { filenames: files.mounts!.file }), files.mounts!.bytes);
    }
    if (run('regex')) await regexCases(dir, files.mounts!);
    if (run('sqlite')) await sqliteCases(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** parse_records_with_regex over the mounts lines, and on re2js over 10 MB of them. */
async function regexCases(dir: string, mountsFile: { file: string; bytes: number }): Promise<void> {
  const mounts = '(?m)^(?P<Device>[^ ]+) (?P<Mount>[^ ]+) (?P<FSType>[^ ]+) (?P<Opts>[^ ]+)';
  const { file: mfile, bytes: mbytes } = mountsFile;
  console.log(`\nparse_records_with_regex, mounts lines: ${(mbytes / 1e6).toFixed(1)} MB`);
  report('Linux.Mounts pattern (line class), plugin alone', child('plugin', JSON.stringify(['parse_records_with_regex', { regex: [mounts] }]), { file: mfile }), mbytes);
  report('Linux.Mounts pattern, SELECT * through the engine', child('query', 'SELECT * FROM parse_records_with_regex(file=F, regex=R)', { F: mfile, R: mounts }), mbytes);
  report('strings carving (?P<Strings>[ -~]+) (runs-end class), plugin', child('plugin', JSON.stringify(['parse_records_with_regex', { regex: ['(?P<Strings>[ -~]+)'] }]), { file: mfile }), mbytes);
  report('a rare literal (?P<X>zzz[0-9]+) (no match: the search speed)', child('plugin', JSON.stringify(['parse_records_with_regex', { regex: ['(?P<X>zzz[0-9]+)'] }]), { file: mfile }), mbytes);
  const small = join(dir, 'mounts-10.txt');
  const smallBytes = await writeText(small, 10e6, 'mounts');
  console.log('\nparse_records_with_regex on re2js (a pattern outside both classes): 10 MB of mounts lines');
  report('the Linux.Mounts pattern in a group (?m)(?:^...), plugin', child('plugin', JSON.stringify(['parse_records_with_regex', { regex: [`(?m)(?:${mounts.slice(4)})`] }]), { file: small }), smallBytes);
}

/** sqlite over a 100,000-row table and over a database larger than 64 MB. */
async function sqliteCases(dir: string): Promise<void> {
  const { Database } = createRequire(import.meta.url)('node-sqlite3-wasm') as typeof import('node-sqlite3-wasm');
  const make = (path: string, n: number, blob: number) => {
    const db = new Database(path);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, size INTEGER, data BLOB); BEGIN');
    const ins = db.prepare('INSERT INTO t (name, size, data) VALUES (?, ?, ?)');
    for (let i = 0; i < n; i++) ins.run([`file-${i}.txt`, i * 7, new Uint8Array(blob).fill(i & 0xff)]);
    ins.finalize();
    db.exec('COMMIT');
    db.close();
  };
  const rowsDb = join(dir, 'rows.sqlite');
  make(rowsDb, 100_000, 16);
  const bigDb = join(dir, 'big.sqlite');
  make(bigDb, 200_000, 400);
  const bigSize = (await stat(bigDb)).size;
  console.log('');
  report('sqlite: 100,000-row table', child('query', "SELECT * FROM sqlite(file=F, query='SELECT id, name, size FROM t')", { F: rowsDb }), null);
  report(`sqlite: ${(bigSize / 1e6).toFixed(0)} MB database, every row (400-byte blobs)`, child('query', "SELECT * FROM sqlite(file=F, query='SELECT id, name, size, data FROM t')", { F: bigDb }), null);
  report(`sqlite: ${(bigSize / 1e6).toFixed(0)} MB database, count(*)`, child('query', "SELECT * FROM sqlite(file=F, query='SELECT count(*) AS n FROM t')", { F: bigDb }), null);
}

if (argv.includes('--case')) await runCase(arg('--case')!, arg('--text')!, JSON.parse(arg('--vars') ?? '{}') as Record<string, unknown>);
else await main();
