/**
 * Velociraptor's CLI batching (VELOCIRAPTOR.md 2.3): at most `size` rows per batch (a batch
 * ships when the next row would exceed it), or whatever accumulated when the `maxWait`
 * timer fires; the timer re-arms after every shipment; an empty timer tick ships nothing.
 */
export class Batcher<T> {
  private rows: T[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ship: (rows: T[]) => void,
    private readonly maxWaitMs: number,
    private readonly size = 10,
  ) {
    this.arm();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.flush();
      this.arm();
    }, this.maxWaitMs);
  }

  push(row: T): void {
    if (this.rows.length >= this.size) {
      this.flush();
      this.arm();
    }
    this.rows.push(row);
  }

  flush(): void {
    if (this.rows.length === 0) return;
    const b = this.rows;
    this.rows = [];
    this.ship(b);
  }

  /** Ships what is left and stops the timer. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flush();
  }
}
