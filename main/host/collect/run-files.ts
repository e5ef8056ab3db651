/**
 * The files of one run (a `vql query`, a `vql artifacts collect`, a worker's job): its temp
 * folder, where tempfile() and tempdir() create files and where copy() may write without the
 * user's leave, and its upload folder, where upload() stores files. Velociraptor keeps these
 * on the query's scope; here they belong to the registry the run was given (each CLI run and
 * each worker job builds its own), set by whoever starts the run (`HostOptions.files`).
 *
 * The temp folder is created on first use, with mode 0700, at a path that must not exist yet
 * (its name carries 128 random bits: nobody can have put a link there first), and removed
 * when the run ends (`finishRun`; for runs nobody finishes, when the process exits). Removals
 * that failed (rm() of a locked file) are tried again then, up to 10 times, as Velociraptor
 * retries them when the scope closes.
 */
import { lstatSync, mkdirSync, rmdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isInside } from '../files/inside.ts';
import type { Registry, Scope } from '../../vql/index.ts';
import { UploadStore } from './upload-store.ts';

/** Where a run's files go: plain data, so a CLI thread can hand it to a worker. */
export interface RunFiles {
  /** The run's temp folder (created on first use; removed when the run ends). */
  readonly tempDir: string;
  /** Where upload() writes (created on first upload), or null: upload() has no uploader. */
  readonly uploadDir: string | null;
}

/** A fresh temp folder path for a run (not created). */
export function newTempDir(): string {
  return join(tmpdir(), `vql-run-${randomBytes(16).toString('hex')}`);
}

const MAX_REMOVE_TRIES = 10;

export class RunState {
  private tempReady = false;
  private store: UploadStore | null = null;
  /** Files rm() could not remove yet. */
  private readonly retry = new Set<string>();
  /** atexit() queries, in the order they were registered. */
  private readonly exits: Array<() => Promise<void>> = [];

  constructor(readonly files: RunFiles) {}

  /** The temp folder, created on first use. Throws when it cannot be (or is not ours). */
  tempFolder(): string {
    if (this.tempReady) return this.files.tempDir;
    try {
      mkdirSync(this.files.tempDir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // Made by the other thread of this run (a CLI run and its worker share it): only if it is
      // a real folder of ours that nobody else may write into.
      const st = lstatSync(this.files.tempDir);
      const mine = typeof process.getuid !== 'function' || st.uid === process.getuid();
      if (!st.isDirectory() || !mine || (process.platform !== 'win32' && (st.mode & 0o077) !== 0)) {
        throw new Error(`the temp folder ${this.files.tempDir} exists and is not this run's: refusing to use it`);
      }
    }
    this.tempReady = true;
    return this.files.tempDir;
  }

  /** Whether `path` is inside the temp folder (after resolving `..`). */
  inTempFolder(path: string): boolean {
    return isInside(this.files.tempDir, path);
  }

  /** The upload store, or null when this run has no upload folder. */
  uploads(): UploadStore | null {
    if (!this.files.uploadDir) return null;
    return (this.store ??= new UploadStore(this.files.uploadDir));
  }

  /** Asks for `path` to be removed again when the run ends (rm() of a file that was busy). */
  removeLater(path: string): void {
    this.retry.add(path);
  }

  /** Asks for `fn` to run when the run ends (atexit()): before the temp folder goes. */
  atExit(fn: () => Promise<void>): void {
    this.exits.push(fn);
  }

  /** Ends the run: atexit() queries run (last registered first), failed removals tried again, the temp folder removed. */
  async finish(): Promise<void> {
    for (let fn = this.exits.pop(); fn; fn = this.exits.pop()) await fn();
    for (let round = 0; round < MAX_REMOVE_TRIES && this.retry.size; round++) {
      if (round > 0) await new Promise((r) => setTimeout(r, 50));
      for (const path of [...this.retry]) {
        try {
          // A folder only when empty, as rm() itself.
          if (lstatSync(path, { throwIfNoEntry: false })?.isDirectory()) rmdirSync(path);
          else rmSync(path, { force: true });
          this.retry.delete(path);
        } catch {
          // Still busy: next round.
        }
      }
    }
    this.retry.clear();
    removeTempDir(this.files.tempDir);
    this.tempReady = false;
  }
}

/** Removes a run's temp folder and everything in it (quietly: it may never have been made). */
export function removeTempDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    // Locked files (Windows) stay: the OS temp folder is cleaned by the OS.
  }
}

const states = new WeakMap<Registry, RunState>();

/** Gives the runs of `registry` these files (the CLI and its workers call it). */
export function attachRunFiles(registry: Registry, files: RunFiles): RunState {
  const state = new RunState(files);
  states.set(registry, state);
  return state;
}

/**
 * Takes the files away from `registry` again (a query worker's registry serves one job after
 * another: a collection's upload folder must not outlive its job). Its next run gets the default.
 */
export function detachRunFiles(registry: Registry): void {
  states.delete(registry);
}

/** Runs nobody finishes (the app's, tests'): their temp folders go when the process exits. */
const orphans = new Set<string>();
let exitHook = false;

/** The run state of the query `scope` belongs to (a default one: no uploads, own temp folder). */
export function runState(scope: Scope): RunState {
  const registry = scope.env.registry;
  let state = states.get(registry);
  if (!state) {
    state = attachRunFiles(registry, { tempDir: newTempDir(), uploadDir: null });
    orphans.add(state.files.tempDir);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => {
        for (const dir of orphans) removeTempDir(dir);
      });
    }
  }
  return state;
}

/** Ends the run of `registry` (if it has one): see RunState.finish. */
export async function finishRun(registry: Registry): Promise<void> {
  const state = states.get(registry);
  if (!state) return;
  await state.finish();
  orphans.delete(state.files.tempDir);
}
