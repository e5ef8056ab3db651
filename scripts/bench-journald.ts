/**
 * `node --import tsx scripts/bench-journald.ts [--entries 100000] [--compress yes|no]`
 *
 * Throughput of parse_journald() (issue 10): a journal of N entries (default 100,000), shaped
 * like a real one (about 20 fields per entry, most of them shared between entries as journald
 * deduplicates them, a unique MESSAGE each, some messages long enough to be compressed), is
 * written by systemd-journal-remote (needs the Debian package systemd-journal-remote), then
 * read three ways (best of three runs each): the reader alone (entries decoded, no rows), the
 * plugin through the engine (`SELECT * FROM parse_journald()`, every row streamed out; also
 * raw and with a time range), and `journalctl -o json` for comparison when it is installed. Entries/s, MB/s (of the file's used bytes) per wall-clock
 * second, and the peak RSS of a process that only parses the file, are printed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceUsage } from 'node:process';
import { fileURLToPath } from 'node:url';
import { runBatches } from '../main/vql/index.ts';
import { createHostRegistry } from '../main/host/index.ts';
import { JournalReader } from '../main/host/journald/reader.ts';
import { NO_TOOL, writeJournal, type ExportEntry } from '../test/host/journald/export.ts';

const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const N = Number(arg('--entries') ?? 100_000);
const compress = arg('--compress') !== 'no';

// `--parse-only FILE`: the child that measures the peak memory of parsing alone.
const only = arg('--parse-only');
if (only) {
  let n = 0;
  for await (const batch of runBatches('SELECT * FROM parse_journald(filename=F)', { registry: createHostRegistry(), vars: { F: only } })) n += batch.length;
  console.log(`parsing alone, in a process of its own: ${n} entries, peak RSS ${(resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  process.exit(0);
}

if (NO_TOOL) {
  console.error(NO_TOOL);
  process.exit(1);
}

function entries(n: number): ExportEntry[] {
  const start = 1_700_000_000_000_000n;
  const units = ['ssh.service', 'cron.service', 'systemd-logind.service', 'NetworkManager.service', 'docker.service'];
  const out: ExportEntry[] = [];
  for (let i = 0; i < n; i++) {
    const u = i % units.length;
    const pid = 1000 + (i % 97);
    const long = i % 50 === 0;
    out.push({
      realtime: start + BigInt(i) * 10_000n,
      monotonic: 1_000_000 + i * 10_000,
      fields: [
        ['MESSAGE', long ? `stack trace ${i}:\n${'    at some.function (file.js:10:20)\n'.repeat(30)}` : `session ${i} opened for user u${i % 13} from 10.0.${i % 255}.${i % 7} port ${20000 + (i % 40000)}`],
        ['PRIORITY', String(i % 8)], ['SYSLOG_FACILITY', String(i % 24)], ['SYSLOG_IDENTIFIER', units[u]!.replace('.service', '')],
        ['CODE_FILE', `src/unit${u}.c`], ['CODE_LINE', String(100 + u)], ['CODE_FUNC', `handler_${u}`],
        ['_PID', String(pid)], ['_UID', '0'], ['_GID', '0'], ['_COMM', `comm${u}`], ['_EXE', `/usr/sbin/daemon${u}`],
        ['_CMDLINE', `/usr/sbin/daemon${u} --flag ${u}`], ['_CAP_EFFECTIVE', '1ffffffffff'], ['_SELINUX_CONTEXT', 'unconfined\n'],
        ['_SYSTEMD_CGROUP', `/system.slice/${units[u]}`], ['_SYSTEMD_UNIT', units[u]!], ['_SYSTEMD_SLICE', 'system.slice'],
        ['_SYSTEMD_INVOCATION_ID', `${u}`.repeat(32)], ['_HOSTNAME', 'benchhost'], ['_TRANSPORT', 'journal'],
        ['_MACHINE_ID', 'fedcba9876543210fedcba9876543210'], ['_SOURCE_REALTIME_TIMESTAMP', String(start + BigInt(i) * 10_000n - 5n)],
      ],
    });
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'bench-journald-'));
try {
  const file = join(dir, 'bench.journal');
  const t0 = performance.now();
  // In slices: systemd-journal-remote appends to the same file.
  for (let i = 0; i < N; i += 20_000) writeJournal(file, entries(Math.min(20_000, N - i)).map((e) => ({ ...e, realtime: BigInt(e.realtime) + BigInt(i) * 10_000n })), { compress });
  const size = statSync(file).size;
  const source = await open(file, 'r');
  const reader = await JournalReader.open({ read: async (o, l) => { const b = Buffer.allocUnsafe(l); const { bytesRead } = await source.read(b, 0, l, o); return b.subarray(0, bytesRead); } }, size);
  const used = reader.header.tailObjectOffset + 4096; // roughly: up to the last object
  console.log(`journal: ${N} entries written in ${((performance.now() - t0) / 1000).toFixed(1)} s; file ${(size / 1e6).toFixed(1)} MB, ${(used / 1e6).toFixed(1)} MB used, compact=${reader.header.compact}, compress=${compress}`);

  const rate = (label: string, count: number, ms: number) =>
    console.log(`${label.padEnd(40)} ${count} entries in ${(ms / 1000).toFixed(2)} s: ${Math.round(count / (ms / 1000)).toLocaleString('en')} entries/s, ${(used / 1e6 / (ms / 1000)).toFixed(1)} MB/s`);

  /** Best of three runs (the machine is shared; the first run also pays for compiling). */
  const best = async (label: string, once: () => Promise<number>) => {
    let ms = Infinity;
    let count = 0;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      count = await once();
      ms = Math.min(ms, performance.now() - t);
    }
    rate(label, count, ms);
  };
  await best('reader alone (fields decoded)', async () => {
    let n = 0;
    for await (const e of reader.entries()) n += e.fields.length ? 1 : 0;
    return n;
  });
  await source.close();
  const select = (q: string) => async () => {
    let n = 0;
    for await (const batch of runBatches(q, { registry: createHostRegistry(), vars: { F: file } })) n += batch.length;
    return n;
  };
  await best('SELECT * FROM parse_journald()', select('SELECT * FROM parse_journald(filename=F)'));
  await best('  raw=TRUE', select('SELECT * FROM parse_journald(filename=F, raw=TRUE)'));
  await best('  a 10 s time range (whole file walked)', select("SELECT * FROM parse_journald(filename=F, start_time='2023-11-14T22:13:20Z', end_time='2023-11-14T22:13:30Z')"));

  // The same child on a journal of 5 entries: the baseline (engine, tsx and module code).
  const small = join(dir, 'small.journal');
  writeJournal(small, entries(5), { compress });
  for (const f of [small, file]) {
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--parse-only', f], { stdio: ['ignore', 'pipe', 'inherit'] });
    process.stdout.write(child.stdout);
  }

  const t = performance.now();
  const jc = spawnSync('journalctl', ['--file', file, '-o', 'json', '--no-pager'], { maxBuffer: 2 ** 31, stdio: ['ignore', 'pipe', 'ignore'] });
  if (jc.status === 0) rate('journalctl -o json (for comparison)', jc.stdout.toString().split('\n').length - 1, performance.now() - t);

  console.log(`RSS after the runs ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (the peak, ${(resourceUsage().maxRSS / 1024).toFixed(0)} MiB, includes generating the input and journalctl's output)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
