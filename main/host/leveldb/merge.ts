/**
 * Merging the database's sources into its live state, as LevelDB's DBIter does: every
 * source is sorted by internal key (user key ascending, then sequence descending), so a
 * k-way merge sees each user key's newest entry first. That entry wins: a put gives the row,
 * a deletion hides every older value of the key; older entries of the key are skipped.
 *
 * Sources: one per table (level 0, or every table when the MANIFEST could not be used), one
 * per level above 0 (its tables do not overlap: they are read one after the other), and the
 * write-ahead logs' entries, sorted in memory (logs are small: LevelDB turns them into a
 * table at 4 MiB by default).
 */
import { compareBytes } from './coding.ts';
import type { Source } from './table.ts';
import { TYPE_VALUE, type Entry } from './write-batch.ts';

const EMPTY = new Uint8Array(0);

/** The newest entry of each user key from the logs, sorted by key. */
export class MemSource implements Source {
  key: Uint8Array = EMPTY;
  seq = 0;
  type = 0;
  value: Uint8Array = EMPTY;
  private readonly entries: Entry[];
  private i = -1;

  constructor(newest: Map<string, Entry>) {
    // Keys are latin1 strings of the bytes: their code unit order is the bytewise order.
    const keys = [...newest.keys()].sort();
    this.entries = keys.map((k) => newest.get(k)!);
  }

  get size(): number {
    return this.entries.length;
  }

  step(): boolean {
    const e = this.entries[++this.i];
    if (!e) return false;
    this.key = e.key;
    this.seq = e.seq;
    this.type = e.type;
    this.value = e.value;
    return true;
  }

  async close(): Promise<void> {}
}

/** Keeps the newest entry per key (`map` is keyed by the key's bytes as latin1). */
export function keepNewest(map: Map<string, Entry>, e: Entry): void {
  const k = Buffer.from(e.key.buffer, e.key.byteOffset, e.key.byteLength).toString('latin1');
  const old = map.get(k);
  if (!old || old.seq < e.seq) map.set(k, { key: e.key, seq: e.seq, type: e.type, value: e.value });
}

/** Sources read one after the other (the tables of one level above 0), opened on demand. */
export class ConcatSource implements Source {
  key: Uint8Array = EMPTY;
  seq = 0;
  type = 0;
  value: Uint8Array = EMPTY;
  private current: Source | null = null;
  private next = 0;

  constructor(private readonly open: ReadonlyArray<() => Promise<Source | null>>) {}

  step(): boolean | Promise<boolean> {
    if (this.current) {
      const r = this.current.step();
      if (r === true) return this.copy();
      if (r !== false) return r.then((ok) => (ok ? this.copy() : this.advance()));
    }
    return this.advance();
  }

  private copy(): true {
    const c = this.current!;
    this.key = c.key;
    this.seq = c.seq;
    this.type = c.type;
    this.value = c.value;
    return true;
  }

  private async advance(): Promise<boolean> {
    for (;;) {
      if (this.current) {
        await this.current.close();
        this.current = null;
      }
      const opener = this.open[this.next++];
      if (!opener) return false;
      this.current = await opener();
      if (!this.current) continue;
      const r = this.current.step();
      if (r === true || (r !== false && (await r))) return this.copy();
    }
  }

  async close(): Promise<void> {
    await this.current?.close();
    this.current = null;
    this.next = this.open.length;
  }
}

/** Internal key order: user key ascending, then newest (highest sequence) first. */
function before(a: Source, b: Source): boolean {
  const c = compareBytes(a.key, b.key);
  return c < 0 || (c === 0 && a.seq > b.seq);
}

/** A binary min-heap of sources by their current entry. */
class Heap {
  readonly items: Source[] = [];

  push(s: Source): void {
    const h = this.items;
    h.push(s);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  /** Restores the order after the top's entry changed. */
  siftDown(): void {
    const h = this.items;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }

  pop(): void {
    const h = this.items;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      this.siftDown();
    }
  }
}

/**
 * The live key/value pairs of the merged sources, in key order, in batches of up to
 * `batch` pairs. Every source is closed at the end (or when the consumer stops).
 */
export async function* mergeLive(sources: Source[], batch: number, signal?: AbortSignal): AsyncGenerator<Array<[Uint8Array, Uint8Array]>> {
  const heap = new Heap();
  try {
    for (const s of sources) {
      const r = s.step();
      if (r === true || (r !== false && (await r))) heap.push(s);
      else await s.close();
    }
    let out: Array<[Uint8Array, Uint8Array]> = [];
    let last: Uint8Array | null = null;
    while (heap.items.length > 0) {
      const top = heap.items[0]!;
      if (last === null || compareBytes(top.key, last) !== 0) {
        // The newest entry of a new user key.
        last = top.key;
        if (top.type === TYPE_VALUE) {
          out.push([top.key, top.value]);
          if (out.length >= batch) {
            yield out;
            out = [];
            if (signal?.aborted) return;
          }
        }
      }
      const r = top.step();
      if (r === true || (r !== false && (await r))) {
        heap.siftDown();
      } else {
        heap.pop();
        await top.close();
      }
    }
    if (out.length > 0) yield out;
  } finally {
    for (const s of heap.items) await s.close().catch(() => {});
    for (const s of sources) await s.close().catch(() => {});
  }
}
