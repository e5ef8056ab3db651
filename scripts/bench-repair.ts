/**
 * What the collector's restart check costs: writes one day file of N rows (default 580,240,
 * about 100 MB, the size of the day in the "290,117 lost rows" report) with the real
 * MonitoringStore, then times `repair()` on it at startup (a strict scan of every record,
 * csv-check.ts), against the quote-parity scan the old repair did (`completeRecords`), and with
 * a corrupt line mid-file and a torn multi-line last record. The first append after `repair()`
 * must not scan the file again (timed too). Times are with the file in the page cache.
 *
 * Usage: node --import tsx scripts/bench-repair.ts [--rows N] [--runs R] [--json]
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MonitoringStore } from '../main/collector/store.ts';
import { completeRecords } from '../main/collector/csv-file.ts';
import { VDict } from '../main/vql/values/types.ts';
import { median } from './bench-stats.ts';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const ROWS = arg('--rows', 580_240);
const RUNS = arg('--runs', 5);
const asJson = argv.includes('--json');
const NOW = () => new Date('2024-03-01T12:00:00Z');
const Q = 'Windows.Events.ProcessCreation';

/** A process-creation event of about 175 bytes; every 50th command line has quotes and a newline. */
function eventRow(i: number): VDict {
  const cmd = i % 50 === 0 ? `powershell -c "Write-Host ""step ${i}"""\n-NoProfile` : `C:\\Windows\\System32\\svchost.exe -k netsvcs -p -s Schedule --id ${i} --group LocalServiceNetworkRestricted`;
  return new VDict([
    ['Timestamp', 1_709_294_400 + i / 10],
    ['Pid', 1000 + (i % 60_000)],
    ['PPid', 4 + (i % 977)],
    ['Name', `proc${i % 97}.exe`],
    ['CommandLine', cmd],
    ['User', i % 3 ? 'NT AUTHORITY\\SYSTEM' : 'DESKTOP-1\\alice'],
    ['_ts', 1_709_294_400 + Math.floor(i / 10)],
  ]);
}

async function timeRepair(datastore: string): Promise<{ ms: number; notes: string[] }> {
  const store = new MonitoringStore({ datastore, now: NOW });
  const t = performance.now();
  const files = await store.repair();
  const ms = performance.now() - t;
  const notes = files.map((f) => store.repairNote(f));
  await store.close();
  return { ms, notes };
}

async function main(): Promise<void> {
  const datastore = mkdtempSync(join(tmpdir(), 'bench-repair-'));
  try {
    const store = new MonitoringStore({ datastore, now: NOW });
    for (let done = 0; done < ROWS; ) {
      const n = Math.min(20_000, ROWS - done);
      await store.append(Q, Array.from({ length: n }, (_, k) => eventRow(done + k)));
      done += n;
    }
    await store.close();
    const file = join(store.dir(Q), '2024-03-01.csv');
    const bytes = statSync(file).size;
    const mb = bytes / 1e6;

    const clean: number[] = [];
    for (let r = 0; r < RUNS; r++) clean.push((await timeRepair(datastore)).ms);
    const parity: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const t = performance.now();
      await completeRecords(file);
      parity.push(performance.now() - t);
    }
    // The first append after repair() reuses its check instead of scanning the file again.
    const s = new MonitoringStore({ datastore, now: NOW });
    await s.repair();
    const t = performance.now();
    await s.append(Q, [eventRow(ROWS)]);
    const firstAppend = performance.now() - t;
    await s.close();

    // A corrupt line in the middle: found, reported, nothing cut.
    const original = readFileSync(file);
    const mid = original.indexOf('\n', Math.floor(original.length / 2)) + 1;
    writeFileSync(file, Buffer.concat([original.subarray(0, mid), Buffer.from('290118,"broken\n'), original.subarray(mid)]));
    const damaged = await timeRepair(datastore);
    if (statSync(file).size !== original.length + 15) throw new Error('repair changed the damaged file');

    // A torn multi-line last record: cut back to where it starts.
    writeFileSync(file, original);
    appendFileSync(file, '9999999,1,2,x,"half a\ncommand');
    const torn = await timeRepair(datastore);
    if (statSync(file).size !== original.length) throw new Error('repair did not cut the torn record exactly');

    const result = {
      rows: ROWS,
      bytes,
      repairCleanMs: median(clean),
      repairCleanMBps: mb / (median(clean) / 1000),
      oldParityScanMs: median(parity),
      firstAppendAfterRepairMs: firstAppend,
      repairDamagedMs: damaged.ms,
      repairTornMs: torn.ms,
      notes: [...damaged.notes, ...torn.notes],
    };
    if (asJson) process.stdout.write(JSON.stringify(result) + '\n');
    else {
      process.stdout.write(
        `day file: ${ROWS} rows, ${mb.toFixed(1)} MB\n` +
          `repair() at startup, clean file: ${result.repairCleanMs.toFixed(0)} ms (${result.repairCleanMBps.toFixed(0)} MB/s; median of ${RUNS})\n` +
          `  the old quote-parity scan alone: ${result.oldParityScanMs.toFixed(0)} ms\n` +
          `first append after repair(): ${firstAppend.toFixed(1)} ms (no second scan)\n` +
          `repair() with a corrupt line mid-file: ${damaged.ms.toFixed(0)} ms -> ${damaged.notes.join(' | ')}\n` +
          `repair() with a torn multi-line last record: ${torn.ms.toFixed(0)} ms -> ${torn.notes.join(' | ')}\n`,
      );
    }
  } finally {
    rmSync(datastore, { recursive: true, force: true });
  }
}

await main();
