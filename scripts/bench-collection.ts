/**
 * `node --import tsx scripts/bench-collection.ts [--keep] [--runs N] [--rows N] [--gb G]`
 * (also run at the end of a full `npm run bench`): "Open collection…" on a large collection zip
 * (issue 13's performance targets, as measures of one run):
 * - listing a 1 GB collection zip (a 1M-row result set, its log, ~2,000 uploads of
 *   incompressible data, the metadata members) from its central directory: under 1 s;
 * - opening the 1M-row result as a table (streamed out of the zip into the engine's folder,
 *   then loaded) within 1.5x of opening the same rows as a plain JSON-lines file.
 * The zip is written with the app's streaming zip writer into <tmp>/vql-bench-collection and
 * kept between runs with --keep. Each open is timed through the contract's handlers, as the
 * app calls them (`table:open` until the table is ready); runs alternate the two kinds.
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZipWriter } from '../main/host/collect/zip-write.ts';
import { listCollection } from '../main/collections/listing.ts';
import { tableHandlers } from '../main/app/tables.ts';
import type { ServiceContext } from '../main/app/service.ts';
import { TableEngine } from '../main/tables/engine.ts';
import type { Result, TableSource } from '../main/ipc/contract.ts';
import { writeBenchRecord } from './bench-record.ts';

const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const keep = argv.includes('--keep');
const runs = Number(arg('--runs') ?? 3);
const ROWS = Number(arg('--rows') ?? 1_000_000);
const TARGET_BYTES = Number(arg('--gb') ?? 1) * 2 ** 30;
const dir = join(tmpdir(), 'vql-bench-collection');
const zipPath = join(dir, 'Collection-BENCH-HOST.zip');
const plainPath = join(dir, 'rows.jsonl');
const stamp = join(dir, `made-${ROWS}-${TARGET_BYTES}`);

const say = (s: string) => console.log(s);

/** One Velociraptor-like row (pslist-ish, with a nested dict and a time). */
function row(i: number): string {
  const t = new Date(Date.UTC(2024, 4, 1) + i * 1000).toISOString();
  return JSON.stringify({
    Pid: 1000 + i, Ppid: i % 977, Name: `proc${i % 313}.exe`, CommandLine: `C:\\Program Files\\App${i % 97}\\proc.exe --id ${i} --mode ${i % 7}`,
    Username: `CORP\\user${i % 41}`, CreateTime: t, Memory: { WorkingSetSize: (i * 4096) % 2 ** 31, PrivateBytes: i * 17 },
  });
}

async function build(): Promise<void> {
  if (existsSync(stamp) && existsSync(zipPath) && existsSync(plainPath)) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  say(`building ${zipPath} (${ROWS.toLocaleString('en-US')} rows, ~${(TARGET_BYTES / 2 ** 30).toFixed(1)} GiB)...`);
  const chunks: string[] = [];
  const index = Buffer.alloc(8 * ROWS);
  let at = 0;
  for (let i = 0; i < ROWS; i++) {
    const line = row(i) + '\n';
    index.writeBigUInt64LE(BigInt(at) | (1n << 40n), 8 * i);
    at += Buffer.byteLength(line);
    chunks.push(line);
  }
  const rows = Buffer.from(chunks.join(''));
  writeFileSync(plainPath, rows);
  const zip = await ZipWriter.create(zipPath);
  await zip.addFile('results/Windows.System.Pslist.json', plainPath, rows.length, { level: 5 });
  await zip.addBytes('results/Windows.System.Pslist.json.index', index, { level: 5 });
  const log = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ _ts: 1714521600 + i, client_time: 1714521600 + i, level: 'DEFAULT', message: `step ${i}\n` }) + '\n').join('');
  await zip.addBytes('log.json', log, { level: 5 });
  const upload = 512 * 1024;
  let written = statSync(zipPath).size;
  const uploadRows: string[] = [];
  for (let i = 0; written < TARGET_BYTES; i++) {
    const comps = ['C%3A', 'Users', `user${i % 41}`, 'AppData', `file${i}.bin`];
    await zip.addBytes(`uploads/auto/${comps.join('/')}`, randomBytes(upload), { level: 0, mtime: new Date(Date.UTC(2024, 4, 1)) });
    uploadRows.push(JSON.stringify({ Timestamp: '2024-05-01T00:00:00Z', vfs_path: comps.join('\\'), _Components: ['uploads', 'auto', ...comps], file_size: upload, uploaded_size: upload, Type: '' }) + '\n');
    written += upload + 200;
  }
  await zip.addBytes('uploads.json', uploadRows.join(''), { level: 5 });
  await zip.addBytes('collection_context.json', JSON.stringify({ session_id: 'F.BENCH', artifacts_with_results: ['Windows.System.Pslist'], total_collected_rows: ROWS, state: 2 }, null, 1));
  await zip.addBytes('requests.json', '{"items":[]}');
  await zip.addBytes('client_info.json', JSON.stringify({ Hostname: 'BENCH-HOST', Name: 'velociraptor' }, null, 1));
  await zip.close();
  writeFileSync(stamp, '');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

await build();
const zipBytes = statSync(zipPath).size;
say(`bench-collection on ${new Date().toISOString()}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
say(`zip: ${(zipBytes / 2 ** 30).toFixed(2)} GiB; plain file: ${(statSync(plainPath).size / 2 ** 20).toFixed(0)} MiB of JSON lines`);

// Listing: the central directory (and the small metadata members) only.
const listMs: number[] = [];
let listed = { sources: 0, uploads: 0, entries: 0 };
for (let i = 0; i < Math.max(5, runs); i++) {
  const t0 = performance.now();
  const l = await listCollection(zipPath);
  listMs.push(performance.now() - t0);
  listed = { sources: l.sources.length, uploads: l.uploads.length, entries: l.entries };
}
say(`list: median ${median(listMs).toFixed(1)} ms (${listed.entries} entries: ${listed.sources} result set, ${listed.uploads} uploads)`);

// Opening: the result set out of the zip against the same rows as a file, alternating.
const engine = new TableEngine({ tempRoot: dir });
const ctx = { opts: { push: () => {} } } as unknown as ServiceContext;
const h = tableHandlers(ctx, engine);
async function openMs(source: TableSource): Promise<{ ms: number; rows: number }> {
  const t0 = performance.now();
  const info = value(await h.invoke['table:open'](source));
  let done = info;
  let resolveReady!: () => void;
  const readyNow = new Promise<void>((r) => (resolveReady = r));
  const poll = async () => {
    for (;;) {
      done = value(await h.invoke['table:info'](info.id));
      if (done.state !== 'loading') return resolveReady();
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  if (info.state === 'loading') {
    void poll();
    await readyNow;
  }
  const ms = performance.now() - t0;
  if (done.state !== 'ready') throw new Error(`the table did not open: ${JSON.stringify(done.error)}`);
  value(await h.invoke['table:close'](info.id));
  return { ms, rows: done.rowCount };
}
const fileMs: number[] = [];
const memberMs: number[] = [];
for (let i = 0; i < runs; i++) {
  const f = await openMs({ kind: 'file', path: plainPath });
  const m = await openMs({ kind: 'zip-entry', path: zipPath, entry: 'results/Windows.System.Pslist.json' });
  if (f.rows !== ROWS || m.rows !== ROWS) throw new Error(`rows: file ${f.rows}, member ${m.rows}, expected ${ROWS}`);
  fileMs.push(f.ms);
  memberMs.push(m.ms);
  say(`run ${i + 1}: plain file ${f.ms.toFixed(0)} ms, zip member ${m.ms.toFixed(0)} ms`);
}
h.close();
engine.dispose();
const ratio = median(memberMs) / median(fileMs);
say(`open 1M rows: plain file median ${median(fileMs).toFixed(0)} ms, zip member median ${median(memberMs).toFixed(0)} ms: ${ratio.toFixed(2)}x (target ≤ 1.5x)`);
say(`list 1 GB zip: ${median(listMs).toFixed(1)} ms (target < 1000 ms)`);

writeBenchRecord({
  bench: 'collection',
  title: 'Open collection… (issue 13): a 1 GB collection zip',
  command: 'node --import tsx scripts/bench-collection.ts',
  measures: [
    { name: 'List a 1 GB collection zip', value: Math.round(median(listMs) * 10) / 10, unit: 'ms', target: { max: 1000, text: '< 1 s' }, note: `${listed.entries} entries, ${listed.uploads} uploads; median of ${listMs.length}` },
    { name: `Open a ${ROWS.toLocaleString('en-US')}-row result from the zip`, value: Math.round(median(memberMs)), unit: 'ms', note: `median of ${runs}` },
    { name: `Open the same rows as a plain file`, value: Math.round(median(fileMs)), unit: 'ms', note: `median of ${runs}` },
    { name: 'Zip member ÷ plain file', value: Math.round(ratio * 100) / 100, unit: '×', target: { max: 1.5, text: '≤ 1.5×' } },
  ],
});
if (!keep) rmSync(dir, { recursive: true, force: true });
