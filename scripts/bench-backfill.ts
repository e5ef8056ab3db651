/**
 * `node --import tsx scripts/bench-backfill.ts [--rows N]`: the live view's backfill
 * (main/logs/backfill.ts) over one day file of N Generic.Client.Stats-like rows
 * (default 500,000): the time to the newest 10,000 rows and the heap it used. The whole day
 * file is read (a CSV record can span lines, so it cannot be read from the end).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backfill, MAX_BACKFILL_ROWS } from '../main/logs/backfill.ts';
import { MonitoringStore } from '../main/collector/store.ts';
import { dayParts } from '../main/logs/store.ts';
import { VDict } from '../main/vql/values/types.ts';

const argv = process.argv.slice(2);
const total = argv.includes('--rows') ? Number(argv[argv.indexOf('--rows') + 1]) : 500_000;
const dir = mkdtempSync(join(tmpdir(), 'vql-bench-backfill-'));
try {
  const now = Date.parse('2024-03-01T12:00:00Z');
  const store = new MonitoringStore({ datastore: dir, clientId: 'C.0123456789abcdef', now: () => new Date(now) });
  const t0 = Math.floor(now / 1000) - total;
  for (let i = 0; i < total; i += 10_000) {
    const batch = Array.from({ length: Math.min(10_000, total - i) }, (_, k) => {
      const n = i + k;
      return VDict.fromObject({ Timestamp: t0 + n + 0.123, CPU: n * 0.01, RSS: 300_000_000 + n, CPUPercent: (n % 97) / 1000, _ts: t0 + n });
    });
    await store.append('Bench.Stats', batch);
  }
  await store.close();
  const file = (await dayParts(store.dir('Bench.Stats'))).get('2024-03-01')![0]!;
  const bytes = statSync(file).size;
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  let peak = heap0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
  const start = performance.now();
  const r = await backfill({ dir: store.dir('Bench.Stats'), running: false, flush: async () => undefined, now: () => now }, MAX_BACKFILL_ROWS);
  const ms = performance.now() - start;
  clearInterval(sampler);
  console.log(`day file: ${total.toLocaleString('en-US')} rows, ${(bytes / 1e6).toFixed(1)} MB`);
  console.log(`backfill: the newest ${r.rows.length.toLocaleString('en-US')} of ${r.total.toLocaleString('en-US')} rows in ${Math.round(ms)} ms ` +
    `(${((bytes / 1e6) / (ms / 1000)).toFixed(0)} MB/s); heap +${((peak - heap0) / 1e6).toFixed(0)} MB at most; reply ${(r.rows.reduce((n, x) => n + x.length, 0) / 1e6).toFixed(1)} MB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
