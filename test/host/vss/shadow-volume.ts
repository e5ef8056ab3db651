/**
 * An NTFS volume with two Volume Shadow Copies, for the VSS tests: mkntfs makes a file system
 * smaller than the partition (the rest is where vss-writer.ts puts the catalog and stores),
 * ntfs-3g (FUSE) writes the files; the partition is kept as it is when each snapshot is taken,
 * changed (files added, rewritten, deleted) between them, then the VSS structures are written.
 *
 * - at snapshot 1: notes.txt "version 1", doomed.txt, Security.evtx with event record 1 (alice);
 * - at snapshot 2: notes.txt "version 2", doomed.txt deleted, new-in-2.txt added, the log
 *   cleared and holding record 2 (bob);
 * - now: notes.txt "version 3", after.txt added, the log holding record 3 (carol).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tool, withMount, noise } from '../ntfs/image.ts';
import { SYSTEM_TEMPLATE, LOGON_TEMPLATE, systemValues, v, writeEvtx, type RecordSpec } from '../parsers/evtx-writer.ts';
import { HEADER_OFFSET, readImage, vssHeader, writeAt, writeVss, type Snapshot, type WriteStats } from './vss-writer.ts';

export const FS_MIB = 24;
export const PARTITION_MIB = 28;
export const AREA_START = FS_MIB << 20;

export const STORE_IDS = ['3E0F6A2B-8C1D-4E5F-9A0B-1C2D3E4F5A6B', '7A8B9C0D-1E2F-4A3B-8C4D-5E6F7A8B9C0D'];
export const COPY_IDS = ['C1D2E3F4-A5B6-4C7D-8E9F-0A1B2C3D4E5F', 'D2E3F4A5-B6C7-4D8E-9F0A-1B2C3D4E5F6A'];
export const SET_IDS = ['E3F4A5B6-C7D8-4E9F-8A1B-2C3D4E5F6A7B', 'F4A5B6C7-D8E9-4F0A-9B2C-3D4E5F6A7B8C'];

export const USERS = ['alice', 'bob', 'carol'];
export const NOTES = ['version 1 of the notes\n', 'version 2 of the notes, longer\n', 'version 3\n'];
export const LOG = 'Windows/System32/winevt/Logs/Security.evtx';

/** The Security log at each time: one RDP logon (4624, type 10) of USERS[i], record i + 1. */
export function securityLog(i: number): Buffer {
  const recordId = BigInt(i + 1);
  const timeMs = Date.UTC(2024, i, 10, 8, 0, 0);
  const rec: RecordSpec = {
    template: SYSTEM_TEMPLATE,
    timeMs,
    values: systemValues({
      eventId: 4624, provider: 'Microsoft-Windows-Security-Auditing', providerGuid: '{54849625-5478-4994-A5BA-3E3B0328C30D}', level: 0, task: 12544,
      opcode: 0, keywords: 0x8020000000000000n, timeMs, recordId, processId: 628, threadId: 2224, channel: 'Security', computer: 'WKS-01.corp.example', version: 2,
    }, v.binxml(LOGON_TEMPLATE, [
      v.sid('S-1-5-18'), v.string('WKS-01$'), v.string('CORP'), v.hex64(0x3e7n), v.sid('S-1-5-21-1111-2222-3333-1001'), v.string(USERS[i]!),
      v.string('CORP'), v.hex64(0x1a2b3cn), v.uint32(10), v.string('User32 '), v.string('Negotiate'), v.string('WKS-01'),
      v.guid('{3F2504E0-4F89-11D3-9A0C-0305E82C3301}'), v.string('-'), v.string('-'), v.uint32(0), v.hex64(0x1234n),
      v.string('C:\\Windows\\System32\\svchost.exe'), v.string(`10.0.0.${i + 1}`), v.string('3389'), v.string('%%1833'), v.string('%%1842'),
    ])),
  };
  return writeEvtx([rec], { firstRecordId: recordId });
}

export interface ShadowVolume {
  readonly partition: string;
  /** The partition's bytes when each snapshot was taken (oldest first). */
  readonly states: readonly Buffer[];
  readonly created: readonly Date[];
  readonly stats: WriteStats;
}

/** The modification times the files get at each stage (so every version differs). */
const STAGE_TIMES = [Date.UTC(2024, 0, 15), Date.UTC(2024, 1, 15), Date.UTC(2024, 2, 15)];

/**
 * Builds the volume in `dir` (partition.dd); `created` are the snapshots' creation times
 * (oldest first); `overlays` as vss-writer's (off: every changed block saved whole).
 */
export function buildShadowVolume(dir: string, created: readonly Date[], opts: { overlays?: boolean } = {}): ShadowVolume {
  const partition = join(dir, 'partition.dd');
  writeFileSync(partition, '');
  execFileSync('truncate', ['-s', `${PARTITION_MIB}M`, partition]);
  // The file system ends at FS_MIB: the sectors after it are the VSS area.
  execFileSync(tool('mkntfs')!, ['-F', '-q', '-Q', '-s', '512', '-c', '4096', '-L', 'Windows', partition, String((FS_MIB << 20) / 512)], { stdio: 'ignore' });
  const stage = (i: number, fn: (put: (p: string, c: string | Buffer) => void, m: string) => void) => {
    withMount(partition, (m) => {
      const touched: string[] = [];
      const put = (p: string, c: string | Buffer) => {
        mkdirSync(dirname(join(m, p)), { recursive: true });
        writeFileSync(join(m, p), c);
        touched.push(p);
      };
      fn(put, m);
      const t = new Date(STAGE_TIMES[i]!);
      for (const p of touched) utimesSync(join(m, p), t, t);
    });
  };
  stage(0, (put) => {
    put(LOG, securityLog(0));
    put('Users/Public/notes.txt', NOTES[0]!);
    put('doomed.txt', 'deleted after snapshot 1\n');
    put('data/big.bin', noise(300_000, 11));
    put('Windows/System32/drivers/etc/hosts', '127.0.0.1 localhost\n');
  });
  writeAt(partition, HEADER_OFFSET, vssHeader(AREA_START, (PARTITION_MIB - FS_MIB) << 20));
  const states = [readImage(partition)];
  stage(1, (put, m) => {
    put('Users/Public/notes.txt', NOTES[1]!);
    unlinkSync(join(m, 'doomed.txt'));
    put('new-in-2.txt', 'made between the snapshots\n');
    rmSync(join(m, LOG));
    put(LOG, securityLog(1));
  });
  states.push(readImage(partition));
  stage(2, (put, m) => {
    put('Users/Public/notes.txt', NOTES[2]!);
    put('after.txt', 'made after snapshot 2\n');
    rmSync(join(m, LOG));
    put(LOG, securityLog(2));
  });
  const current = readImage(partition);
  const snaps: Snapshot[] = states.map((state, i) => ({ state, storeId: STORE_IDS[i]!, copyId: COPY_IDS[i]!, copySetId: SET_IDS[i]!, created: created[i]! }));
  const stats = writeVss(current, snaps, { areaStart: AREA_START, overlays: opts.overlays });
  writeAt(partition, AREA_START, current.subarray(AREA_START, stats.end));
  return { partition, states, created, stats };
}
