// Velociraptor's journal artifacts, run unchanged from ../shared/velociraptor-artifacts on the
// journal fixtures (written by systemd): Linux.Forensics.Journal (all entries, IdentifierRegex,
// IocRegex, both, and the date range) and the event artifact Linux.Events.Journal, which must
// emit entries appended to a journal while it runs.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Repository, installArtifactPlugins, runArtifact } from '../../../main/artifacts/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';
import { toJSON, type Value } from '../../../main/vql/index.ts';
import { EXPECTED, unpack } from './fixtures.ts';
import { NO_TOOL, writeJournal } from './export.ts';

const CORPUS = fileURLToPath(new URL('../../../../shared/velociraptor-artifacts/', import.meta.url));
const skip = !existsSync(CORPUS) ? `../shared/velociraptor-artifacts is absent (${CORPUS}): the journal artifacts are not run` : false;
if (skip) console.log(`# ${skip}`);

type Row = Record<string, any>;

describe('Linux.Forensics.Journal and Linux.Events.Journal', { skip }, () => {
  let repo: Repository;
  let dir = '';
  before(() => {
    repo = new Repository({ definitions: [CORPUS] });
    dir = mkdtempSync(join(tmpdir(), 'vql-journal-artifacts-'));
    unpack(dir, 'zstd-compact', 'system.journal');
    unpack(dir, 'lz4-regular', 'system@0001-0002.journal~');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function start(name: string, params: Record<string, string>, signal = new AbortController().signal) {
    const registry = createHostRegistry({ network: 'loopback' });
    installArtifactPlugins(registry, repo);
    const a = repo.get(name);
    assert.ok(a, `${name} is in the corpus`);
    const logs: string[] = [];
    const rows = runArtifact(repo, a, new Map(Object.entries(params)), { registry, signal, preconditions: true, log: (l, m) => logs.push(`${l}: ${m}`) });
    return { rows, logs };
  }

  async function collect(name: string, params: Record<string, string>): Promise<{ rows: Row[]; logs: string[] }> {
    const { rows, logs } = start(name, params);
    const out: Value[] = [];
    for await (const batch of rows) out.push(...batch);
    return { rows: JSON.parse(toJSON(out)) as Row[], logs };
  }

  const glob = () => join(dir, '*.journal{,~}');

  test('every entry of the active and the archived journal, as {System, EventData}', async () => {
    const { rows, logs } = await collect('Linux.Forensics.Journal', { JournalGlob: glob() });
    assert.deepEqual(logs.filter((l) => /^(error|warn)/.test(l)), []);
    assert.equal(rows.length, 2 * EXPECTED.length);
    assert.deepEqual(rows.slice(0, 5).map((r) => r.EventData.MESSAGE), EXPECTED.map((e) => e.MESSAGE));
    assert.equal(rows[0].System._EXE, '/usr/sbin/sshd');
    assert.equal(rows[0].System.Timestamp, '2023-11-14T22:13:20Z');
  });

  test('IdentifierRegex, IocRegex (over EventData, _CMDLINE and _EXE), both, and DateAfter/DateBefore', async () => {
    const ids = await collect('Linux.Forensics.Journal', { JournalGlob: glob(), IdentifierRegex: '^sshd$' });
    assert.deepEqual(ids.rows.map((r) => r.System._PID), ['612', '700', '612', '700']);
    const ioc = await collect('Linux.Forensics.Journal', { JournalGlob: glob(), IocRegex: '203\\.0\\.113\\.9|crashd --watch' });
    assert.deepEqual(ioc.rows.map((r) => r.System._PID), ['700', '4242', '700', '4242']);
    const both = await collect('Linux.Forensics.Journal', { JournalGlob: glob(), IdentifierRegex: 'crash', IocRegex: 'libc\\.so' });
    assert.deepEqual(both.rows.map((r) => r.EventData.SYSLOG_IDENTIFIER), ['crashd', 'crashd']);
    const range = await collect('Linux.Forensics.Journal', { JournalGlob: glob(), DateAfter: '2023-11-14T22:14:00Z', DateBefore: '2023-11-14T22:15:30Z' });
    assert.deepEqual(range.rows.map((r) => r.EventData.SYSLOG_IDENTIFIER), ['sshd', 'systemd', 'sshd', 'systemd']);
    for (const r of [ids, ioc, both, range]) assert.deepEqual(r.logs.filter((l) => /^(error|warn)/.test(l)), []);
  });

  test('Linux.Events.Journal emits the entries appended to a journal while it runs', { skip: NO_TOOL }, async () => {
    const sub = mkdtempSync(join(dir, 'live-'));
    const file = join(sub, 'live.journal');
    writeJournal(file, [{ realtime: 1_720_000_000_000_000n, fields: [['MESSAGE', 'before'], ['SYSLOG_IDENTIFIER', 'live']] }]);
    const controller = new AbortController();
    const { rows, logs } = start('Linux.Events.Journal', { JournalGlob: join(sub, '*.journal') }, controller.signal);
    const got: Row[] = [];
    const done = (async () => {
      for await (const batch of rows) got.push(...(JSON.parse(toJSON(batch)) as Row[]));
    })();
    const waitFor = async (pred: () => boolean, what: string) => {
      const end = Date.now() + 20_000;
      while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      assert.ok(pred(), `${what}: ${JSON.stringify(got)}\n${logs.join('\n')}`);
    };
    await waitFor(() => logs.some((l) => /following from entry 1/.test(l)), 'the watch started');
    writeJournal(file, ['one', 'two', 'three'].map((m, i) => ({ realtime: 1_720_000_001_000_000n + BigInt(i), fields: [['MESSAGE', m], ['SYSLOG_IDENTIFIER', 'live']] as Array<[string, string]> })));
    await waitFor(() => got.length >= 3, 'three appended entries');
    controller.abort();
    await done;
    assert.deepEqual(got.map((r) => r.EventData.MESSAGE), ['one', 'two', 'three']);
    assert.deepEqual(logs.filter((l) => /^(error|warn)/.test(l)), []);
  });
});
