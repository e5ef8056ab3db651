// parse_journald() on journal files written by systemd: the committed fixtures (every
// compression and compact variant, compared with what journalctl read from them), corrupt
// copies of them, and, where systemd-journal-remote is installed, journals made on the spot.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VBytes, VDict, VTime, collect, createRegistry, toJSON, type Value } from '../../../main/vql/index.ts';
import { registerFiles } from '../../../main/host/files/index.ts';
import { registerJournald } from '../../../main/host/journald/index.ts';
import { EXPECTED, VARIANTS, fixtureBytes, objects, unpack } from './fixtures.ts';
import { NO_TOOL, sampleEntries, writeJournal, type ExportEntry } from './export.ts';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vql-journald-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function registry() {
  const r = createRegistry();
  registerFiles(r, {});
  registerJournald(r, {});
  return r;
}

async function query(text: string, vars: Record<string, unknown> = {}): Promise<{ rows: VDict[]; json: Array<Record<string, any>>; logs: string[] }> {
  const logs: string[] = [];
  const rows = await collect(text, { registry: registry(), vars, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows, json: JSON.parse(toJSON(rows)), logs };
}

const errors = (logs: string[]) => logs.filter((l) => /^(error|warn)/.test(l));

/** A raw row as journalctl -o json has it: strings, bytes as a list of numbers, keys sorted. */
function asJournalctl(row: VDict): Record<string, unknown> {
  const conv = (v: Value): unknown => (v instanceof VBytes ? [...v.bytes] : Array.isArray(v) ? v.map(conv) : String(v));
  const o: Record<string, unknown> = {};
  for (const [k, v] of row.map) if (k !== '__SEQNUM') o[k] = conv(v);
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

describe('the fixtures written by systemd', () => {
  for (const v of VARIANTS) {
    test(`${v}: raw=TRUE reads every entry and field exactly as journalctl does`, async () => {
      const file = unpack(dir, v);
      const { rows, logs } = await query('SELECT * FROM parse_journald(filename=F, raw=TRUE)', { F: file });
      assert.deepEqual(errors(logs), []);
      assert.equal(rows.length, EXPECTED.length);
      assert.deepEqual(rows.map(asJournalctl), EXPECTED);
      assert.deepEqual(rows.map((r) => r.get('__SEQNUM')), [1, 2, 3, 4, 5]);
    });
  }

  test('the large field is stored compressed in the compressed variants (so decompression is what is tested)', () => {
    const text = Buffer.from('at frame 0x00007f3a2b1c (libc.so.6)\n  at frame 0x00007f3a2b1c (libc.so.6)');
    for (const v of VARIANTS) {
      const b = fixtureBytes(v);
      const compressed = objects(b).filter((o) => o.type === 1 && (o.flags & 7) !== 0);
      assert.equal(compressed.length, v.startsWith('plain') ? 0 : 1, v);
      assert.equal(b.includes(text), v.startsWith('plain'), `${v}: the text is there as is`);
    }
  });

  test('rows are {System, EventData}: trusted _ fields and the entry header in System, the rest in EventData', async () => {
    const { rows, json, logs } = await query('SELECT * FROM parse_journald(filename=F)', { F: unpack(dir, 'zstd-compact') });
    assert.deepEqual(errors(logs), []);
    assert.deepEqual(Object.keys(json[0]!), ['System', 'EventData']);
    const sys = rows[0]!.get('System') as VDict;
    assert.ok(sys.get('Timestamp') instanceof VTime);
    assert.deepEqual(json[0]!.System, {
      Timestamp: '2023-11-14T22:13:20Z', __SEQNUM: 1, __MONOTONIC_TIMESTAMP: 5000000, _BOOT_ID: '0123456789abcdef0123456789abcdef',
      ...Object.fromEntries(Object.entries(EXPECTED[0]!).filter(([k]) => k.startsWith('_') && !k.startsWith('__') && k !== '_BOOT_ID')),
    });
    assert.deepEqual(json[0]!.EventData, { MESSAGE: 'Server listening on 0.0.0.0 port 22.', PRIORITY: '6', SYSLOG_FACILITY: '4', SYSLOG_IDENTIFIER: 'sshd' });
    // Values stay strings as journald stores them; a repeated field is a list; bytes stay bytes.
    assert.equal(sys.get('_PID'), '612');
    assert.deepEqual(json[2]!.EventData.TAG, ['first', 'second']);
    const blob = (rows[4]!.get('EventData') as VDict).get('BINARY_BLOB');
    assert.ok(blob instanceof VBytes);
    assert.deepEqual([...blob.bytes], [0x00, 0xff, 0xfe, 0x41, 0x0a, 0x80]);
    assert.match(json[3]!.EventData.MESSAGE, /^backtrace:\n( {2}at frame 0x00007f3a2b1c \(libc\.so\.6\)\n){40}$/);
  });

  test('the columns the artifacts read: System.Timestamp, _EXE, _CMDLINE, _PID, EventData.MESSAGE, SYSLOG_IDENTIFIER, PRIORITY', async () => {
    const { json } = await query(`SELECT System.Timestamp AS T, System._EXE AS Exe, System._CMDLINE AS Cmd, System._PID AS Pid,
      EventData.MESSAGE AS Msg, EventData.SYSLOG_IDENTIFIER AS Id, EventData.PRIORITY AS Prio, System.Timestamp.Unix AS U
      FROM parse_journald(filename=F) WHERE Id = 'sshd'`, { F: unpack(dir, 'xz-compact') });
    assert.deepEqual(json[1], {
      T: '2023-11-14T22:14:20Z', Exe: '/usr/sbin/sshd', Cmd: 'sshd: root [priv]', Pid: '700',
      Msg: 'Failed password for root from 203.0.113.9 port 4242 ssh2', Id: 'sshd', Prio: '5', U: 1700000060,
    });
  });

  test('start_time and end_time keep the entries in the range (inclusive), as times, strings or epoch seconds', async () => {
    const F = unpack(dir, 'lz4-regular');
    const msgs = async (args: string) => (await query(`SELECT EventData.MESSAGE AS M FROM parse_journald(filename=F, ${args})`, { F })).json.map((r) => r.M.slice(0, 12));
    assert.deepEqual(await msgs("start_time='2023-11-14T22:14:20Z'"), ['Failed passw', 'Started cron', 'backtrace:\n ', 'binary paylo']);
    assert.deepEqual(await msgs("end_time='2023-11-14T22:14:20Z'"), ['Server liste', 'Failed passw']);
    assert.deepEqual(await msgs('start_time=1700000061, end_time=timestamp(epoch=1700000180)'), ['Started cron', 'backtrace:\n ']);
    assert.deepEqual(await msgs("start_time='', end_time=NULL"), ['Server liste', 'Failed passw', 'Started cron', 'backtrace:\n ', 'binary paylo']);
    const bad = await query("SELECT * FROM parse_journald(filename=F, start_time='yesterday-ish')", { F });
    assert.equal(bad.rows.length, 0);
    assert.match(bad.logs.join('\n'), /^error: parse_journald: argument start_time: expected a time/m);
  });

  test('accessor: a journal held in a variable (scope accessor) reads like the file', async () => {
    const { rows, logs } = await query("SELECT * FROM parse_journald(filename='J', accessor='scope', raw=TRUE)", { J: new VBytes(fixtureBytes('zstd-regular')) });
    assert.deepEqual(errors(logs), []);
    assert.deepEqual(rows.map(asJournalctl), EXPECTED);
    const bad = await query("SELECT * FROM parse_journald(filename='x', accessor='nope')");
    assert.match(bad.logs.join('\n'), /^error: parse_journald: argument accessor: unknown accessor "nope"/m);
  });

  test('LIMIT stops the reading (the query\'s cancellation), without an error', async () => {
    const F = unpack(dir, 'zstd-regular');
    const { rows, logs } = await query('SELECT System.__SEQNUM AS S FROM parse_journald(filename=[F, F, F]) LIMIT 2', { F });
    assert.deepEqual(rows.map((r) => r.get('S')), [1, 2]);
    assert.deepEqual(errors(logs), []);
  });

  test('a list of files: read one after the other', async () => {
    const { rows } = await query('SELECT * FROM parse_journald(filename=[A, B])', { A: unpack(dir, 'plain-compact'), B: unpack(dir, 'zstd-compact') });
    assert.equal(rows.length, 10);
  });
});

describe('bad input: an error naming parse_journald, the argument, the file and the offset; the query goes on', () => {
  async function readBoth(bad: Buffer, name: string) {
    const B = join(dir, name);
    writeFileSync(B, bad);
    const r = await query('SELECT EventData.MESSAGE AS M FROM parse_journald(filename=[B, G])', { B, G: unpack(dir, 'plain-regular', `good-${name}`) });
    return { ...r, file: B };
  }

  test('not a journal, an empty file, a missing file', async () => {
    const a = await readBoth(Buffer.from('Dec  7 06:00:01 host sshd[1]: hello\n'), 'syslog.txt');
    assert.equal(a.rows.length, 5, 'the good file after it is read');
    assert.ok(a.logs.includes(`error: parse_journald: filename=${a.file}: not a systemd journal file (no "LPKSHHRH" signature) (at offset 0, 0x0)`), a.logs.join('\n'));
    const b = await readBoth(Buffer.alloc(0), 'empty.journal');
    assert.equal(b.rows.length, 5);
    assert.match(b.logs.join('\n'), /error: parse_journald: filename=.*empty\.journal: the file is empty/);
    const c = await query('SELECT * FROM parse_journald(filename=F)', { F: join(dir, 'nope.journal') });
    assert.match(c.logs.join('\n'), /^error: parse_journald: filename=.*nope\.journal: cannot open: no such file$/m);
  });

  test('a truncated file: an error with the offset, and the entries before the cut recovered object by object', async () => {
    const whole = fixtureBytes('plain-regular');
    const entries = objects(whole).filter((o) => o.type === 3);
    // Cut inside the fourth entry object.
    const cut = entries[3]!.offset + 20;
    const t = await readBoth(whole.subarray(0, cut), 'truncated.journal');
    assert.deepEqual(t.rows.slice(0, 3).map((r) => r.get('M')), EXPECTED.slice(0, 3).map((e) => e.MESSAGE));
    assert.equal(t.rows.length, 3 + 5);
    assert.match(t.logs.join('\n'), /^error: parse_journald: filename=.*truncated\.journal: the file is truncated: .*\(at offset \d+, 0x\w+\)(; 3 entries read before it)?; reading the entries after it object by object$/m);
    assert.match(t.logs.join('\n'), /^info: parse_journald: filename=.*truncated\.journal: \d more entries recovered by walking the objects$/m);
    // Shorter than a header.
    const h = await readBoth(whole.subarray(0, 100), 'header.journal');
    assert.match(h.logs.join('\n'), /header\.journal: the file is truncated: 100 bytes, shorter than a journal header/);
  });

  test('an online file (being written) ending inside its tail: what is complete is read, without an error', async () => {
    const whole = Buffer.from(fixtureBytes('zstd-compact'));
    whole[16] = 1; // STATE_ONLINE
    const last = objects(whole).filter((o) => o.type === 3).at(-1)!;
    const { rows, logs } = await query('SELECT * FROM parse_journald(filename=F)', { F: join(dir, 'online.journal') }).then(async () => {
      writeFileSync(join(dir, 'online.journal'), whole.subarray(0, last.offset + 8));
      return query('SELECT * FROM parse_journald(filename=F)', { F: join(dir, 'online.journal') });
    });
    assert.equal(rows.length, 4);
    assert.deepEqual(errors(logs), []);
    assert.match(logs.join('\n'), /debug: parse_journald: .*online\.journal: the entry array chain stops after \d entries at the end of what is written so far/);
  });

  test('an entry array chain that loops, and a bad entry array offset, end the file with an error (no endless loop)', async () => {
    const loop = Buffer.from(fixtureBytes('plain-compact'));
    const arrays = objects(loop).filter((o) => o.type === 6);
    const first = Number(loop.readBigUInt64LE(176));
    assert.equal(arrays[0]!.offset, first);
    assert.ok(arrays.length >= 2, 'five entries need more than one entry array');
    loop.writeBigUInt64LE(BigInt(first), first + 16); // the first array points back to itself
    const l = await readBoth(loop, 'loop.journal');
    assert.match(l.logs.join('\n'), new RegExp(`error: parse_journald: filename=.*loop\\.journal: the entry array chain loops back to ${first}`));
    assert.equal(l.rows.length, 5 + 5, 'the entries of the loop are read once, the rest recovered, then the next file');

    const bad = Buffer.from(fixtureBytes('plain-compact'));
    bad.writeBigUInt64LE(12345n, 176);
    const b = await readBoth(bad, 'badoffset.journal');
    assert.match(b.logs.join('\n'), /badoffset\.journal: bad entry array offset 12345 \(outside the object area or not 8-byte aligned\) \(at offset 176, 0xb0\)/);
    assert.equal(b.rows.length, 5 + 5, 'recovered object by object');
    const past = Buffer.from(fixtureBytes('plain-compact'));
    past.writeBigUInt64LE(BigInt(past.length + 4096), 176);
    const p = await readBoth(past, 'past.journal');
    assert.match(p.logs.join('\n'), /past\.journal: the file is truncated: entry array at \d+ is past its end/);
  });

  for (const [variant, codec, flag, skip] of [['zstd-compact', 'zstd', 4, 0], ['lz4-regular', 'lz4', 2, 8], ['xz-compact', 'xz', 1, 0]] as const) {
    test(`a ${codec} field that does not decompress: a warning, and the entry comes out with its other fields`, async () => {
      const b = Buffer.from(fixtureBytes(variant));
      const payload = variant.endsWith('compact') ? 72 : 64;
      const obj = objects(b).find((o) => o.type === 1 && (o.flags & flag) !== 0)!;
      // Garbage instead of the compressed data (after LZ4's size prefix, so that its decoder sees it).
      b.fill(0x55, obj.offset + payload + skip, obj.offset + obj.size);
      const F = join(dir, `bad-${codec}.journal`);
      writeFileSync(F, b);
      const { json, logs } = await query('SELECT * FROM parse_journald(filename=F)', { F });
      assert.equal(json.length, 5);
      assert.equal(json[3]!.EventData.MESSAGE, undefined);
      assert.equal(json[3]!.EventData.SYSLOG_IDENTIFIER, 'crashd');
      assert.equal(json[3]!.System._PID, '4242');
      assert.match(logs.join('\n'), new RegExp(`^warn: parse_journald: filename=.*bad-${codec}\\.journal: data object at ${obj.offset}: cannot decompress its ${codec} payload`, 'm'));
    });
  }

  test('unknown incompatible flags (a newer systemd): an error, not garbage', async () => {
    const b = Buffer.from(fixtureBytes('plain-regular'));
    b.writeUInt32LE(b.readUInt32LE(12) | 0x100, 12);
    const r = await readBoth(b, 'newer.journal');
    assert.match(r.logs.join('\n'), /newer\.journal: unsupported journal features \(incompatible flags 0x10\w\)/);
  });
});

describe('journals written by systemd-journal-remote here', { skip: NO_TOOL }, () => {
  test('many entries (several entry arrays), in order, with the same count journalctl reads', async () => {
    const n = 3000;
    const start = 1_700_000_000_000_000n;
    const entries: ExportEntry[] = [];
    for (let i = 0; i < n; i++) {
      entries.push({ realtime: start + BigInt(i) * 1000n, monotonic: 1000 + i, fields: [['MESSAGE', `message number ${i}`], ['PRIORITY', String(i % 8)], ['SYSLOG_IDENTIFIER', i % 3 ? 'app' : 'other'], ['_PID', String(100 + (i % 50))]] });
    }
    const F = join(dir, 'many.journal');
    writeJournal(F, entries);
    const { json, logs } = await query('SELECT EventData.MESSAGE AS M, System.__SEQNUM AS S FROM parse_journald(filename=F)', { F });
    assert.deepEqual(errors(logs), []);
    assert.equal(json.length, n);
    assert.ok(json.every((r, i) => r.M === `message number ${i}` && r.S === i + 1));
    const jc = spawnSync('journalctl', ['--file', F, '-o', 'cat', '--no-pager']);
    if (jc.status === 0) assert.equal(jc.stdout.toString().trim().split('\n').length, n);
    // Only the range asked for, from the middle of the file.
    const r = await query('SELECT EventData.MESSAGE AS M FROM parse_journald(filename=F, start_time=T1, end_time=T2)', {
      F, T1: new VTime((start + 1000n * 1000n) * 1000n), T2: new VTime((start + 1009n * 1000n) * 1000n),
    });
    assert.deepEqual(r.json.map((x) => x.M), Array.from({ length: 10 }, (_, i) => `message number ${1000 + i}`));
  });

  test('uncompressed and regular journals, and a journal appended to by a second run, read like the compressed compact one', async () => {
    for (const opts of [{ compress: false, compact: false }, { compress: true, compact: true }]) {
      const F = join(dir, `sample-${opts.compress}-${opts.compact}.journal`);
      writeJournal(F, sampleEntries(), opts);
      writeJournal(F, sampleEntries().slice(0, 2), opts);
      const { rows, logs } = await query('SELECT * FROM parse_journald(filename=F, raw=TRUE)', { F });
      assert.deepEqual(errors(logs), []);
      assert.deepEqual(rows.map(asJournalctl), [...EXPECTED, ...EXPECTED.slice(0, 2)]);
    }
  });
});
