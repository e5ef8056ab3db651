/**
 * Live rows for other consumers (the desktop app's live view): query name → async stream of
 * row batches. Each subscriber has a bounded queue; one that falls behind loses the oldest
 * batches of its view and is told how many rows it missed. The CSV files still get every row.
 */
import type { VDict } from '../vql/index.ts';

export interface LiveBatch {
  rows: VDict[];
  /** Rows dropped from this subscriber's view since the previous batch (it fell behind). */
  missed: number;
}

export interface Subscription extends AsyncIterable<LiveBatch> {
  close(): void;
}

/** Default rows a subscriber may have queued before the oldest are dropped. */
export const DEFAULT_CAPACITY = 10_000;

class Subscriber implements Subscription {
  private queue: VDict[][] = [];
  private queued = 0;
  private missed = 0;
  private wake: (() => void) | null = null;
  closed = false;

  constructor(private readonly capacity: number, private readonly onClose: () => void) {}

  push(rows: VDict[]): void {
    if (this.closed) return;
    this.queue.push(rows);
    this.queued += rows.length;
    while (this.queued > this.capacity && this.queue.length > 1) {
      const dropped = this.queue.shift()!;
      this.queued -= dropped.length;
      this.missed += dropped.length;
    }
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
    this.onClose();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<LiveBatch> {
    try {
      for (;;) {
        if (this.queue.length) {
          const rows = this.queue.shift()!;
          this.queued -= rows.length;
          const missed = this.missed;
          this.missed = 0;
          yield { rows, missed };
          continue;
        }
        if (this.closed) return;
        await new Promise<void>((r) => (this.wake = r));
        this.wake = null;
      }
    } finally {
      if (!this.closed) this.close();
    }
  }
}

export class Subscriptions {
  private readonly byQuery = new Map<string, Set<Subscriber>>();

  /** Subscribes to a query name (`Artifact` or `Artifact/Source`); the artifact name also gets its sources. */
  subscribe(queryName: string, capacity = DEFAULT_CAPACITY): Subscription {
    let set = this.byQuery.get(queryName);
    if (!set) this.byQuery.set(queryName, (set = new Set()));
    const s: Subscriber = new Subscriber(capacity, () => set!.delete(s));
    set.add(s);
    return s;
  }

  publish(queryName: string, rows: VDict[]): void {
    const artifact = queryName.split('/')[0]!;
    for (const key of artifact === queryName ? [queryName] : [queryName, artifact]) {
      const set = this.byQuery.get(key);
      if (set) for (const s of set) s.push(rows);
    }
  }

  closeAll(): void {
    for (const set of this.byQuery.values()) for (const s of [...set]) s.close();
    this.byQuery.clear();
  }
}
