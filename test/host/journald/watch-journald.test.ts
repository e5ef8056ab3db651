// watch_journald() following journal files this test writes: entries appended by
// systemd-journal-remote, a journal replaced by another (rotation), one that appears later.
// Rows are awaited as they arrive (never a fixed sleep).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry } from '../../../main/vql/index.ts';
import { follow as followQuery } from '../events/follow.ts';
import { registerFiles } from '../../../main/host/files/index.ts';
import { registerJournald } from '../../../main/host/journald/index.ts';
import { EXPECTED, unpack } from './fixtures.ts';
import { NO_TOOL, writeJournal, type ExportEntry } from './export.ts';

const dir = mkdtempSync(join(tmpdir(), 'vql-watch-journald-'));
after(() => rmSync(dir, { recursive: true, force: true }));


function registry() {
  const r = createRegistry();
  registerFiles(r, {});
  registerJournald(r, {});
  return r;
}

/** An event query running in the background (follow.ts). */
function follow(text: string, vars: Record<string, unknown> = {}) {
  return followQuery(registry, text, vars);
}

function entries(prefix: string, n: number): ExportEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    realtime: 1_710_000_000_000_000n + BigInt(i) * 1_000_000n,
    fields: [['MESSAGE', `${prefix} ${i}`], ['SYSLOG_IDENTIFIER', 'watcher'], ['PRIORITY', '6'], ['_PID', String(300 + i)]] as Array<[string, string]>,
  }));
}

test('watch_journald skips what the journal holds, then emits entries appended to it (by systemd-journal-remote)', { skip: NO_TOOL }, async () => {
  const file = join(dir, 'system.journal');
  writeJournal(file, entries('old', 3));
  const w = follow('SELECT System._PID AS Pid, EventData.MESSAGE AS Msg, System.Timestamp AS T FROM watch_journald(filename=F)', { F: file });
  await w.waitLog(/^debug: watch_journald: filename=.*system\.journal: following from entry 3$/);
  writeJournal(file, entries('new', 2));
  await w.waitRows(2);
  writeJournal(file, entries('newer', 1));
  await w.waitRows(3);
  await w.stop();
  assert.deepEqual(w.rows.map((r) => r.Msg), ['new 0', 'new 1', 'newer 0']);
  assert.deepEqual(w.rows[1], { Pid: '301', Msg: 'new 1', T: '2024-03-09T16:00:01Z' });
  assert.deepEqual(w.logs.filter((l) => /^(warn|error)/.test(l)), []);
});

test('watch_journald follows rotation: the rest of the old file, then the new file from its start (raw rows)', { skip: NO_TOOL }, async () => {
  const file = join(dir, 'rotating.journal');
  writeJournal(file, entries('before', 2));
  const w = follow('SELECT MESSAGE FROM watch_journald(filename=F, raw=TRUE)', { F: file });
  await w.waitLog(/following from entry 2$/);
  writeJournal(file, entries('kept', 1));
  await w.waitRows(1);
  // journald's rotation: the file is renamed away, a new one takes its name.
  writeJournal(join(dir, 'next.journal'), entries('rotated', 2));
  renameSync(file, join(dir, 'rotating@0000-0001.journal~'));
  renameSync(join(dir, 'next.journal'), file);
  await w.waitRows(3);
  await w.waitLog(/^info: watch_journald: filename=.*rotating\.journal: was rotated/);
  writeJournal(file, entries('after', 1));
  await w.waitRows(4);
  await w.stop();
  assert.deepEqual(w.rows.map((r) => r.MESSAGE), ['kept 0', 'rotated 0', 'rotated 1', 'after 0']);
});

test('watch_journald: a journal copied over the watched one (the same inode, another file id) is read from its start', async () => {
  const file = unpack(dir, 'zstd-compact', 'copied.journal');
  const w = follow('SELECT EventData.MESSAGE AS M FROM watch_journald(filename=F)', { F: file });
  await w.waitLog(/copied\.journal: following from entry 5$/);
  copyFileSync(unpack(dir, 'lz4-regular', 'other.journal'), file);
  await w.waitRows(5);
  await w.waitLog(/copied\.journal: was replaced by another journal file: reading the new one from its start/);
  await w.stop();
  assert.deepEqual(w.rows.map((r) => r.M), EXPECTED.map((e) => e.MESSAGE));
});

test('watch_journald: a journal that does not exist yet is read from its start once it appears; a bad file is said once', async () => {
  const file = join(dir, 'later.journal');
  const w = follow('SELECT EventData.SYSLOG_IDENTIFIER AS Id FROM watch_journald(filename=F)', { F: file });
  await w.waitLog(/later\.journal: does not exist yet: waiting for it$/);
  unpack(dir, 'xz-compact', 'tmp-later.journal');
  renameSync(join(dir, 'tmp-later.journal'), file);
  await w.waitRows(5);
  await w.stop();
  assert.deepEqual(w.rows.map((r) => r.Id), ['sshd', 'sshd', 'systemd', 'crashd', 'kernel']);
  assert.equal(w.logs.filter((l) => /does not exist yet/.test(l)).length, 1, w.logs.join('\n'));
});

test('watch_journald: not a journal is an error naming the file, and cancelling ends the query', async () => {
  const file = join(dir, 'text.journal');
  writeFileSync(file, 'plain text\n');
  const w = follow('SELECT * FROM watch_journald(filename=F)', { F: file });
  await w.waitLog(/^error: watch_journald: filename=.*text\.journal: not a systemd journal file .*\(tried again at each poll\)$/);
  await w.stop();
  assert.deepEqual(w.rows, []);
  const bad = follow("SELECT * FROM watch_journald(filename='x', accessor='nope')");
  await bad.waitLog(/^error: watch_journald: argument accessor: unknown accessor "nope"/);
  await bad.stop();
});
