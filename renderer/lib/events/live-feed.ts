/**
 * The live rows of one event artifact at a time: subscribes over the Bridge
 * (`events:subscribe`, pushes `events:rows`), appends each pushed batch to a RingSource (the
 * table and chart read it), and unsubscribes when another artifact is viewed or the view goes
 * away. It also notes how long after its own time column's value each batch arrived (the
 * delay from production to this page, for rows whose time column is their production time).
 */
import type { Bridge, Result, RowJson } from '../../../main/ipc/contract.ts';
import { RingSource } from './ring-source.ts';
import { detectTimeColumn, toEpochSeconds } from '../chart/series.ts';
import { parseRowJson } from '../state/queries.ts';

/** One live view's subscription and its ring buffer (see above). */
export class LiveFeed {
  readonly source: RingSource;
  /** The artifact being viewed, or null. */
  artifact: string | null = null;
  /** Milliseconds between the newest row's time and its arrival here (null before rows with a time). */
  delayMs: number | null = null;
  private readonly off: () => void;

  constructor(private readonly bridge: Pick<Bridge, 'invoke' | 'send' | 'subscribe'>, capacity = 10_000, private readonly now: () => number = Date.now) {
    this.source = new RingSource(capacity);
    this.off = bridge.subscribe('events:rows', (artifact, rows, missed) => this.take(artifact, rows, missed ?? 0));
  }

  /** Views another artifact (null: none): the buffer starts empty. Resolves with the subscribe reply. */
  async view(artifact: string | null): Promise<Result<true> | null> {
    if (artifact === this.artifact) return null;
    if (this.artifact) this.bridge.send('events:unsubscribe', this.artifact);
    this.artifact = artifact;
    this.delayMs = null;
    this.source.clear();
    if (!artifact) return null;
    return this.bridge.invoke('events:subscribe', artifact);
  }

  /** Unsubscribes and stops listening (the view went away). */
  dispose(): void {
    if (this.artifact) this.bridge.send('events:unsubscribe', this.artifact);
    this.artifact = null;
    this.off();
  }

  private take(artifact: string, rows: readonly RowJson[], missed: number): void {
    if (artifact !== this.artifact) return;
    const arrived = this.now();
    const objects = rows.map(parseRowJson);
    if (objects.length) this.noteDelay(objects[objects.length - 1]!, arrived);
    this.source.append(objects, missed);
  }

  private noteDelay(last: Record<string, unknown>, arrived: number): void {
    const col = detectTimeColumn(this.source);
    const name = col >= 0 ? this.source.columns[col]!.name : 'Timestamp';
    const t = toEpochSeconds((last[name] ?? null) as string | number | null);
    if (Number.isFinite(t)) this.delayMs = Math.max(0, Math.round(arrived - t * 1000));
  }
}
