// Shared by the collector's tests: rows, a settable clock, a real small file system to fill, a
// writer process killed with SIGKILL mid-stream, and a `vql monitor` process.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { VDict, type Value } from '../../main/vql/values/types.ts';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

export function row(entries: Record<string, Value>): VDict {
  return new VDict(Object.entries(entries));
}

/** A settable clock. */
export function clock(iso: string): { now: () => Date; set(iso: string): void } {
  let t = new Date(iso);
  return { now: () => t, set: (s) => (t = new Date(s)) };
}

/** A `file://` URL of a module under main/, for a script run in another process. */
export function mainModule(path: string): string {
  return pathToFileURL(join(ROOT, 'main', path)).href;
}

/**
 * Runs `fn` with a small tmpfs mounted at a fresh directory under `parent`; returns a skip
 * reason when mounting is impossible (not root, not Linux).
 */
export async function withTmpfs(parent: string, size: string, fn: (dir: string) => Promise<void>): Promise<string | undefined> {
  if (process.platform !== 'linux' || !isRoot) return 'needs root on Linux to mount a tmpfs';
  const dir = join(parent, `mnt-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (m.status !== 0) return `cannot mount a tmpfs (${(m.stderr || m.error?.message || '').trim()})`;
  try {
    await fn(dir);
  } finally {
    spawnSync('mount', ['-o', 'remount,rw', dir]);
    // A failed test may leave files open: detach lazily then.
    if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
  }
  return undefined;
}

/** Fills the file system of `dir` with a file of 4 KiB pages until ENOSPC; returns the file (remove it to free the space). */
export async function fillDisk(dir: string): Promise<string> {
  const filler = join(dir, 'filler');
  const chunk = Buffer.alloc(4096, 0x61);
  for (;;) {
    try {
      await appendFile(filler, chunk);
    } catch (e) {
      assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
      return filler;
    }
  }
}

/**
 * Runs `script` (TypeScript, written to `dir`) in another process, which prints `ack <n>` after
 * each batch it has stored, and kills it with SIGKILL once `acks` rows are acknowledged; resolves
 * with the last acknowledged count once the process is gone.
 */
export async function killWriterAfter(dir: string, script: string, acks: number): Promise<number> {
  const file = join(dir, 'writer.mts');
  await writeFile(file, script);
  const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let acked = 0;
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      for (const m of d.toString().matchAll(/ack (\d+)/g)) acked = Number(m[1]);
      if (acked >= acks) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () => (acked >= acks ? resolve() : reject(new Error('writer exited early: ' + stderr))));
  });
  await new Promise((r) => child.once('close', r));
  return acked;
}

/** A fresh datastore whose events file runs one artifact, and a definitions folder holding it (`yaml`). */
export function monitorSetup(prefix: string, artifact: string, yaml: string): { ds: string; defs: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const ds = join(dir, 'ds');
  const defs = join(dir, 'defs');
  mkdirSync(ds);
  mkdirSync(defs);
  writeFileSync(join(defs, `${artifact}.yaml`), yaml);
  writeFileSync(join(ds, 'events.yaml'), `Events:\n  artifacts:\n  - ${artifact}\n  version: 1\n`);
  return { ds, defs };
}

/** `vql monitor` (the built CLI) on a datastore with artifact definitions; `extra`: more flags. */
export function startMonitor(ds: string, defs: string, extra: string[] = []): { child: ChildProcess; stderr: () => string } {
  const child = spawn(process.execPath, ['bin/vql.js', 'monitor', '--datastore', ds, '--definitions', defs, '--max_wait', '0.2', ...extra], { cwd: ROOT });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return { child, stderr: () => err };
}

/** Rows the running `vql monitor` of a datastore says it has written (its status file), 0 before it says. */
export function monitorRowsWritten(ds: string): number {
  try {
    return JSON.parse(readFileSync(join(ds, 'monitor-status.json'), 'utf8')).queries[0]?.rowsWritten ?? 0;
  } catch {
    return 0; // not written yet, or caught mid-write
  }
}

/**
 * Starts `vql monitor`, kills it with SIGKILL once it has written more than `rows` rows, starts
 * it again (which repairs what the kill left) and stops it cleanly; returns the rows it had
 * fsynced before the kill.
 */
export async function killAndRestartMonitor(ds: string, defs: string, rows: number, extra: string[] = []): Promise<number> {
  const first = startMonitor(ds, defs, extra);
  await until(() => monitorRowsWritten(ds) > rows, 30_000, 'rows written');
  const fsynced = monitorRowsWritten(ds);
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.on('exit', r));
  const second = startMonitor(ds, defs, extra);
  // The restart repairs torn lines before it writes anything new.
  await until(() => second.stderr().includes('collector started'), 20_000, 'the restart');
  second.child.kill('SIGTERM');
  assert.equal(await new Promise((r) => second.child.on('exit', r)), 0, second.stderr());
  return fsynced;
}

/** Waits until `cond()` holds, polling; fails naming `what` after `ms`. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
