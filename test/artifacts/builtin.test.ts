// The built-in artifacts of artifacts/ do what their descriptions say, on this machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHostRegistry } from '../../main/host/index.ts';
import { Repository, runArtifact } from '../../main/artifacts/index.ts';
import type { VDict, Value } from '../../main/vql/index.ts';

const repo = new Repository({ definitions: [] });

/** Runs a built-in artifact, handing each row to `onRow` until it returns true or time runs out. */
async function watchArtifact(name: string, args: Record<string, Value>, seconds: number, onRow: (r: VDict) => boolean | void): Promise<VDict[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), seconds * 1000);
  const rows: VDict[] = [];
  const errors: string[] = [];
  try {
    for await (const batch of runArtifact(repo, repo.get(name)!, new Map(Object.entries(args)), {
      registry: createHostRegistry(),
      signal: controller.signal,
      preconditions: true,
      log: (level, m) => level === 'error' && errors.push(m),
    })) {
      for (const r of batch) {
        rows.push(r);
        if (onRow(r) === true) controller.abort();
      }
      if (controller.signal.aborted) break;
    }
  } finally {
    clearTimeout(timer);
  }
  assert.deepEqual(errors, []);
  return rows;
}

test('every built-in artifact loads', () => {
  assert.deepEqual(repo.problems.filter((p) => p.severity === 'error'), []);
  for (const n of ['Generic.Client.Stats', 'Generic.Client.Info', 'Generic.System.Pslist', 'Generic.Events.ProcessStart', 'Generic.Events.FileChanges']) {
    assert.ok(repo.get(n), n);
  }
});

test('Generic.Client.Info describes this machine', async () => {
  const rows = await watchArtifact('Generic.Client.Info', {}, 10, () => {});
  const basic = rows.filter((r) => r.get('_Source') === 'Generic.Client.Info/BasicInformation');
  assert.equal(basic.length, 1);
  assert.equal(basic[0]!.get('OS'), process.platform === 'win32' ? 'windows' : process.platform);
  assert.ok(rows.some((r) => r.get('_Source') === 'Generic.Client.Info/Environment' && r.get('Name') === 'PATH'));
});

test('Generic.System.Pslist finds this process, and filters by name', async () => {
  const all = await watchArtifact('Generic.System.Pslist', {}, 10, () => {});
  assert.ok(all.some((r) => r.get('Pid') === process.pid));
  const one = await watchArtifact('Generic.System.Pslist', { Pid: process.pid }, 10, () => {});
  assert.equal(one.length, 1);
  assert.ok((one[0]!.get('RSS') as number) > 0);
  const none = await watchArtifact('Generic.System.Pslist', { ProcessRegex: '^no-such-process-name$' }, 10, () => {});
  assert.equal(none.length, 0);
});

test('Generic.Events.FileChanges reports a file added then removed', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vql-filechanges-'));
  const file = join(dir, 'new.txt');
  setTimeout(() => writeFileSync(file, 'hello'), 1500);
  let sawAdded = false;
  const rows = await watchArtifact('Generic.Events.FileChanges', { Globs: JSON.stringify([join(dir, '*')]), Period: 1 }, 15, (r) => {
    if (String(r.get('OSPath')) !== file) return;
    if (r.get('Event') === 'added' && !sawAdded) {
      sawAdded = true;
      rmSync(file);
    }
    return r.get('Event') === 'removed';
  });
  rmSync(dir, { recursive: true, force: true });
  const events = rows.filter((r) => String(r.get('OSPath')) === file).map((r) => r.get('Event'));
  assert.deepEqual(events, ['added', 'removed']);
});

test('Generic.Events.ProcessStart reports a process that starts', { timeout: 30_000 }, async () => {
  let childPid = 0;
  setTimeout(() => {
    const child = spawn('sleep', ['4'], { stdio: 'ignore' });
    childPid = child.pid ?? 0;
  }, 1500);
  const rows = await watchArtifact('Generic.Events.ProcessStart', { Period: 1 }, 15, (r) => childPid !== 0 && r.get('Pid') === childPid);
  const hit = rows.find((r) => r.get('Pid') === childPid);
  assert.ok(hit, `a start event for pid ${childPid}`);
  assert.equal(hit.get('Event'), 'added');
  assert.equal(hit.get('Name'), 'sleep');
});
