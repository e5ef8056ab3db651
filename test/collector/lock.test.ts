// The datastore lock (collector.lock): a lock whose pid is gone, or whose pid now belongs to
// another process (PID reuse: the start time or boot differs), is stale and taken over; a lock
// whose pid and start time match a live process is respected. Real processes, real /proc.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CollectorBusyError, acquireDatastoreLock, lockPath, processIdentity, type LockHolder } from '../../main/collector/lock.ts';

let tmp = '';
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vql-lock-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let counter = 0;
async function datastoreWithLock(holder: Partial<LockHolder>): Promise<string> {
  const ds = join(tmp, `ds${counter++}`);
  await mkdir(ds, { recursive: true });
  await writeFile(lockPath(ds), JSON.stringify({ host: hostname(), owner: 'vql monitor', started: '2024-01-01T00:00:00.000Z', ...holder }) + '\n');
  return ds;
}

/** A live process that is not a collector: `sleep 30`, started and known to be running. */
async function sleeper(): Promise<ChildProcess & { pid: number }> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return child as ChildProcess & { pid: number };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** Takes the lock, checks that the lock file now names this process, and releases it. */
function takeOver(ds: string): void {
  const release = acquireDatastoreLock(ds, 'the test');
  try {
    const doc = JSON.parse(readFileSync(lockPath(ds), 'utf8')) as LockHolder;
    assert.equal(doc.pid, process.pid);
    assert.equal(doc.owner, 'the test');
  } finally {
    release();
  }
  assert.equal(existsSync(lockPath(ds)), false, 'release removes the lock');
}

const linux = process.platform === 'linux';

describe('stale locks', () => {
  test('a lock whose pid is gone is taken over', async () => {
    const child = await sleeper();
    const pid = child.pid;
    const id = processIdentity(pid); // so that the pid, should it be reused at once, still names another process
    await stop(child);
    takeOver(await datastoreWithLock({ pid, ...id }));
  });

  test('the lock records this process\'s start time and boot id (Linux)', { skip: !linux && 'process identities are read from /proc (Linux only)' }, async () => {
    const ds = join(tmp, `ds${counter++}`);
    await mkdir(ds);
    const release = acquireDatastoreLock(ds, 'the test');
    try {
      const doc = JSON.parse(readFileSync(lockPath(ds), 'utf8')) as LockHolder;
      const me = processIdentity(process.pid);
      assert.ok(me && /^\d+$/.test(me.startTime) && me.bootId.length > 0, JSON.stringify(me));
      assert.equal(doc.startTime, me.startTime);
      assert.equal(doc.bootId, me.bootId);
    } finally {
      release();
    }
  });

  test('PID reuse: a lock naming a live process (sleep) with another start time is taken over', { skip: !linux && 'process identities are read from /proc (Linux only)' }, async () => {
    const child = await sleeper();
    try {
      const real = processIdentity(child.pid);
      assert.ok(real, 'the identity of a live child is readable');
      const wrong = String(Number(real.startTime) + 1);
      takeOver(await datastoreWithLock({ pid: child.pid, startTime: wrong, bootId: real.bootId }));
      assert.equal(child.exitCode, null, 'the other process is left alone');
    } finally {
      await stop(child);
    }
  });

  test('PID reuse: a lock naming pid 1 with another start time is taken over', { skip: !linux && 'process identities are read from /proc (Linux only)' }, async (t) => {
    const init = processIdentity(1);
    if (!init) return t.skip('/proc/1/stat cannot be read here');
    takeOver(await datastoreWithLock({ pid: 1, startTime: String(Number(init.startTime) + 12345), bootId: init.bootId }));
  });

  test('a lock from an earlier boot is taken over even when its pid and start time match a live process', { skip: !linux && 'process identities are read from /proc (Linux only)' }, async () => {
    const child = await sleeper();
    try {
      const real = processIdentity(child.pid)!;
      takeOver(await datastoreWithLock({ pid: child.pid, startTime: real.startTime, bootId: '00000000-0000-0000-0000-000000000000' }));
    } finally {
      await stop(child);
    }
  });
});

describe('live locks are respected', () => {
  test('a lock whose pid, start time and boot match a live process', { skip: !linux && 'process identities are read from /proc (Linux only)' }, async () => {
    const child = await sleeper();
    try {
      const real = processIdentity(child.pid)!;
      const ds = await datastoreWithLock({ pid: child.pid, ...real });
      const before = readFileSync(lockPath(ds), 'utf8');
      assert.throws(() => acquireDatastoreLock(ds, 'the test'), (e: unknown) => {
        assert.ok(e instanceof CollectorBusyError);
        assert.match(e.message, new RegExp(`vql monitor \\(pid ${child.pid}, since 2024-01-01T00:00:00\\.000Z\\)`));
        return true;
      });
      assert.equal(readFileSync(lockPath(ds), 'utf8'), before, 'the lock is left as it was');
    } finally {
      await stop(child);
    }
  });

  test('a lock without a start time (an older collector, or another OS) naming a live process', async () => {
    const child = await sleeper();
    try {
      const ds = await datastoreWithLock({ pid: child.pid });
      assert.throws(() => acquireDatastoreLock(ds, 'the test'), CollectorBusyError);
    } finally {
      await stop(child);
    }
  });

  test('a second lock in the same process', async () => {
    const ds = join(tmp, `ds${counter++}`);
    await mkdir(ds);
    const release = acquireDatastoreLock(ds, 'the test');
    try {
      assert.throws(() => acquireDatastoreLock(ds, 'the test'), /another collector of this process/);
    } finally {
      release();
    }
  });
});

describe('processIdentity', () => {
  test('a command name with spaces and parentheses does not shift the fields', { skip: !linux && 'Linux only' }, async () => {
    // /proc/<pid>/stat field 2 is "(comm)", and comm (a script's file name) may hold ") (" itself.
    const script = join(tmp, 'a) (b c');
    await writeFile(script, '#!/bin/sh\nsleep 30\n', { mode: 0o755 });
    const child = spawn(script, [], { stdio: 'ignore', detached: true });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    try {
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      assert.ok(stat.includes('(a) (b c)'), stat);
      const id = processIdentity(child.pid!);
      const field22 = /\) \S+(?: -?\d+){18} (\d+) /.exec(stat)?.[1];
      assert.ok(id && field22, stat);
      assert.equal(id.startTime, field22);
      assert.ok(Number(id.startTime) >= Number(processIdentity(process.pid)!.startTime), 'the child started after this process');
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, 'SIGKILL'); // the script and its sleep
      await exited;
    }
  });

  test('gone, invalid and foreign pids have no identity', () => {
    assert.equal(processIdentity(0), undefined);
    assert.equal(processIdentity(-5), undefined);
    assert.equal(processIdentity(1.5), undefined);
    assert.equal(processIdentity(2 ** 31 - 1), undefined);
  });
});
