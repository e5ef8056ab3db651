/**
 * The pause of a follower's poll loop (watch.ts, journald/watch_journald.ts): the next poll
 * comes after a period, or at once when poked (a folder watch saw a change, or the query was
 * cancelled). A poke during a poll makes the next wait return at once, so a change never waits
 * a whole period.
 */
export class PollWait {
  private woken = false;
  private wakeNow: (() => void) | null = null;

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
}
