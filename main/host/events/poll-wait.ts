/**
 * The pause of a follower's poll loop (watch.ts, journald/watch_journald.ts,
 * parsers/evtx/watch_evtx.ts): the next poll comes after a period, or at once when poked (a
 * watch on a followed file's folder saw a change, or the query was cancelled). A poke during a
 * poll makes the next wait return at once, so a change never waits a whole period. close()
 * ends the folder watches and the abort listener.
 */
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

export class PollWait {
  private woken = false;
  private wakeNow: (() => void) | null = null;
  /** Folder watches by folder (one per folder, whatever the files followed in it). */
  private readonly watchers = new Map<string, FSWatcher>();

  /** `signal`: the query's; its abort pokes, so a cancelled loop does not wait out its period. */
  constructor(private readonly signal?: AbortSignal) {
    signal?.addEventListener('abort', this.poke, { once: true });
  }

  /** For fs.watch callbacks and the abort signal. */
  readonly poke = (): void => {
    this.woken = true;
    this.wakeNow?.();
  };

  /** Call as a poll starts: pokes from then on cut the next wait short. */
  polling(): void {
    this.woken = false;
  }

  /** Waits `ms`, or less when poked (not at all when poked since polling()). */
  async wait(ms: number): Promise<void> {
    if (this.woken) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeNow = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeNow = null;
  }

  /** Pokes whenever the folder of `localFile` changes (a local file followed). */
  watchFolderOf(localFile: string): void {
    const dir = dirname(localFile);
    if (this.watchers.has(dir)) return;
    try {
      const w = watch(dir, { persistent: false }, this.poke);
      w.on('error', () => w.close());
      this.watchers.set(dir, w);
    } catch {
      // No such folder yet, or no inotify: polling alone.
    }
  }

  close(): void {
    this.signal?.removeEventListener('abort', this.poke);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
