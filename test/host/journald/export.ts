// Builds input in the journal export format (https://systemd.io/JOURNAL_EXPORT_FORMATS/) and
// turns it into real journal files with systemd-journal-remote, for the journald tests and
// for test/fixtures/journald/generate.ts.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const JOURNAL_REMOTE = ['/lib/systemd/systemd-journal-remote', '/usr/lib/systemd/systemd-journal-remote'].find((p) => existsSync(p)) ?? null;

/** Why the tests that need systemd-journal-remote skip, or false when it is here. */
export const NO_TOOL = JOURNAL_REMOTE ? false : 'systemd-journal-remote is not installed (Debian: apt-get install systemd-journal-remote): journals are not generated';

export type FieldValue = string | Buffer;

export interface ExportEntry {
  /** Microseconds since the epoch. */
  realtime: bigint | number;
  monotonic?: bigint | number;
  bootId?: string;
  fields: Array<[string, FieldValue]>;
}

export const BOOT_ID = '0123456789abcdef0123456789abcdef';

/** One entry in the export format (binary-safe: values with a newline or non-text are length-prefixed). */
export function exportEntry(e: ExportEntry, cursor = 1): Buffer {
  const parts: Buffer[] = [
    Buffer.from(`__CURSOR=s=0;i=${cursor}\n__REALTIME_TIMESTAMP=${e.realtime}\n__MONOTONIC_TIMESTAMP=${e.monotonic ?? 1000}\n_BOOT_ID=${e.bootId ?? BOOT_ID}\n`),
  ];
  for (const [k, v] of e.fields) {
    const b = Buffer.isBuffer(v) ? v : Buffer.from(v);
    if (b.includes(0x0a) || Buffer.isBuffer(v)) {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(b.length));
      parts.push(Buffer.from(`${k}\n`), len, b, Buffer.from('\n'));
    } else {
      parts.push(Buffer.from(`${k}=`), b, Buffer.from('\n'));
    }
  }
  parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}

export interface WriteOptions {
  /** Compress data objects (zstd with Debian's systemd): default yes. */
  compress?: boolean;
  /** Compact mode (systemd 252+ writes it by default): default yes. */
  compact?: boolean;
}

/**
 * Appends `entries` to the journal file `output` (created when absent) with
 * systemd-journal-remote. Throws with its output when it fails.
 */
export function writeJournal(output: string, entries: ExportEntry[], opts: WriteOptions = {}): void {
  if (!JOURNAL_REMOTE) throw new Error('systemd-journal-remote is not installed');
  const input = Buffer.concat(entries.map((e, i) => exportEntry(e, i + 1)));
  const r = spawnSync(JOURNAL_REMOTE, [`--output=${output}`, `--compress=${opts.compress === false ? 'no' : 'yes'}`, '-'], {
    input,
    env: { ...process.env, SYSTEMD_JOURNAL_COMPACT: opts.compact === false ? '0' : '1', SYSTEMD_LOG_LEVEL: 'warning' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`systemd-journal-remote failed (${r.status}): ${r.stderr?.toString()} ${r.error?.message ?? ''}`);
}

/** The entries of the fixtures: the fields the artifacts read, a large compressible field, a binary one, a repeated one. */
export function sampleEntries(): ExportEntry[] {
  const base = 1_700_000_000_000_000n; // 2023-11-14T22:13:20Z
  const common: Array<[string, FieldValue]> = [['_HOSTNAME', 'testhost'], ['_TRANSPORT', 'syslog'], ['_UID', '0'], ['_GID', '0']];
  return [
    {
      realtime: base, monotonic: 5_000_000n,
      fields: [['MESSAGE', 'Server listening on 0.0.0.0 port 22.'], ['PRIORITY', '6'], ['SYSLOG_IDENTIFIER', 'sshd'], ['SYSLOG_FACILITY', '4'],
        ['_PID', '612'], ['_COMM', 'sshd'], ['_EXE', '/usr/sbin/sshd'], ['_CMDLINE', 'sshd: /usr/sbin/sshd -D [listener]'], ['_SYSTEMD_UNIT', 'ssh.service'], ...common],
    },
    {
      realtime: base + 60_000_000n, monotonic: 65_000_000n,
      fields: [['MESSAGE', 'Failed password for root from 203.0.113.9 port 4242 ssh2'], ['PRIORITY', '5'], ['SYSLOG_IDENTIFIER', 'sshd'],
        ['_PID', '700'], ['_COMM', 'sshd'], ['_EXE', '/usr/sbin/sshd'], ['_CMDLINE', 'sshd: root [priv]'], ['_SYSTEMD_UNIT', 'ssh.service'], ...common],
    },
    {
      realtime: base + 120_000_000n, monotonic: 125_000_000n,
      fields: [['MESSAGE', 'Started cron.service - Regular background program processing daemon.'], ['PRIORITY', '6'], ['SYSLOG_IDENTIFIER', 'systemd'],
        ['CODE_FILE', 'src/core/job.c'], ['CODE_LINE', '768'], ['_PID', '1'], ['_COMM', 'systemd'], ['_EXE', '/usr/lib/systemd/systemd'],
        ['_CMDLINE', '/sbin/init'], ['TAG', 'first'], ['TAG', 'second'], ...common],
    },
    {
      realtime: base + 180_000_000n, monotonic: 185_000_000n,
      fields: [['MESSAGE', `backtrace:\n${'  at frame 0x00007f3a2b1c (libc.so.6)\n'.repeat(40)}`], ['PRIORITY', '3'], ['SYSLOG_IDENTIFIER', 'crashd'],
        ['_PID', '4242'], ['_COMM', 'crashd'], ['_EXE', '/usr/bin/crashd'], ['_CMDLINE', 'crashd --watch'], ...common],
    },
    {
      realtime: base + 240_000_000n, monotonic: 245_000_000n,
      fields: [['MESSAGE', 'binary payload follows'], ['PRIORITY', '7'], ['SYSLOG_IDENTIFIER', 'kernel'], ['BINARY_BLOB', Buffer.from([0x00, 0xff, 0xfe, 0x41, 0x0a, 0x80])],
        ['_TRANSPORT', 'kernel'], ['_HOSTNAME', 'testhost']],
    },
  ];
}
