/**
 * The live rows of one event artifact at a time: subscribes over the Bridge
 * (`events:subscribe`, pushes `events:rows`), then takes today's rows already in the day files
 * (`events:backfill`), so the view starts from what was collected rather than empty. Rows go
 * into a RingSource (the table and chart read it), the backfill first, then the live rows that
 * came meanwhile (held until it is in) and after; live rows the backfill already has (`_ts` up to
 * its `through`: main/logs/backfill.ts) are dropped, so none shows twice. When the
 * connection to the host comes back after a loss (the host forgot this page's subscription),
 * the view opens again the same way. It also notes how long after its own time column's value
 * each batch arrived (the delay from production to this page).
 */
import type { Bridge, Result, RowJson } from '../../../main/ipc/contract.ts';
import type { Connection } from '../connection.ts';
import { RingSource } from './ring-source.ts';
import { detectTimeColumn, toEpochSeconds } from '../chart/series.ts';
import { parseRowJson } from '../state/queries.ts';

/** What the backfill brought into the view. */
export interface BackfillInfo {
  /** Rows taken from the log. */
  rows: number;
  /** Rows the day holds up to the seam (more than `rows` when only the newest fit). */
  total: number;
  /** Why there is none (the log could not be read), or undefined. */
  error?: string;
  /** What the reader had to say (records skipped...). */
  notes: string[];
}

type FeedBridge = Pick<Bridge, 'invoke' | 'send' | 'subscribe'> & { connection?: Pick<Connection, 'onReconnect'> };

/** One live view's subscription, backfill and ring buffer (see above). */
export class LiveFeed {
  readonly source: RingSource;
  /** The artifact being viewed, or null. */
  artifact: string | null = null;
  /** Milliseconds between the newest row's time and its arrival here (null before rows with a time). */
  delayMs: number | null = null;
  /** What the backfill brought, once it is in (null before). */
  backfill: BackfillInfo | null = null;
  /** Live batches that arrive before the backfill is in (null when not waiting for one). */
  private holding: Array<{ rows: readonly RowJson[]; missed: number }> | null = null;
  /** The backfill's last second: live rows with a `_ts` up to it are in the backfill already. */
  private through = -Infinity;
  /** Bumped per opening, so a slow reply to an earlier one cannot take over. */
  private generation = 0;
  private readonly offs: Array<() => void>;

  constructor(private readonly bridge: FeedBridge, capacity = 10_000, private readonly now: () => number = Date.now) {
    this.source = new RingSource(capacity);
    this.offs = [bridge.subscribe('events:rows', (artifact, rows, missed) => this.take(artifact, rows, missed ?? 0))];
    if (bridge.connection) this.offs.push(bridge.connection.onReconnect(() => void this.open()));
  }

  /** Views another artifact (null: none), starting from today's log. Resolves with the subscribe reply. */
  async view(artifact: string | null): Promise<Result<true> | null> {
    if (artifact === this.artifact) return null;
    if (this.artifact) this.bridge.send('events:unsubscribe', this.artifact);
    this.artifact = artifact;
    return this.open();
  }

  /** Unsubscribes and stops listening (the view went away). */
  dispose(): void {
    if (this.artifact) this.bridge.send('events:unsubscribe', this.artifact);
    this.artifact = null;
    this.generation++;
    for (const off of this.offs) off();
  }

  /** Empties the view and fills it again: subscribe, then the backfill, then the live rows held meanwhile. */
  private async open(): Promise<Result<true> | null> {
    const artifact = this.artifact;
    const generation = ++this.generation;
    this.delayMs = null;
    this.backfill = null;
    this.through = -Infinity;
    this.holding = artifact ? [] : null;
    this.source.clear();
    if (!artifact) return null;
    const sub = await this.bridge.invoke('events:subscribe', artifact);
    if (generation !== this.generation) return sub;
    if (!sub.ok) {
      this.holding = null;
      return sub;
    }
    const back = await this.bridge.invoke('events:backfill', { artifact, limit: this.source.capacity });
    if (generation !== this.generation) return sub;
    const held = this.holding ?? [];
    this.holding = null;
    if (back.ok) {
      this.through = back.value.through;
      this.backfill = { rows: back.value.rows.length, total: back.value.total, notes: back.value.notes };
      this.source.append(back.value.rows.map(parseRowJson), 0, true);
    } else {
      this.backfill = { rows: 0, total: 0, notes: [], error: back.error.message };
      this.source.notify();
    }
    for (const b of held) this.take(artifact, b.rows, b.missed);
    return sub;
  }

  private take(artifact: string, rows: readonly RowJson[], missed: number): void {
    if (artifact !== this.artifact) return;
    if (this.holding) {
      this.holding.push({ rows, missed });
      return;
    }
    const arrived = this.now();
    // `_ts` up to the backfill's last second: that row is in the backfill already.
    const objects = rows.map(parseRowJson).filter((o) => !(Number(o['_ts']) <= this.through));
    if (!objects.length && !missed) return;
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
