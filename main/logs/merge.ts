/**
 * Merging streams of rows (JSON text with merge keys: csv-read.ts, jsonl-rows.ts, legacy.ts)
 * into one in key order, the `_ts` second each row was received: ties keep stream order, then
 * file order. Holds one batch per stream, so memory stays flat whatever the streams' sizes.
 */
import type { JsonBatch } from './json-rows.ts';

/** A stream being merged: its reader, the batch in hand and the position in it. */
class Cursor {
  batch: JsonBatch = { rows: [], keys: [] };
  i = 0;
  done = false;

  constructor(private readonly parts: AsyncGenerator<JsonBatch>) {}

  /** Makes sure a row is in hand (unless the stream is exhausted). */
  async fill(): Promise<void> {
    while (!this.done && this.i >= this.batch.rows.length) {
      const next = await this.parts.next();
      if (next.done) this.done = true;
      else {
        this.batch = next.value;
        this.i = 0;
      }
    }
  }

  close(): void {
    void this.parts.return(undefined);
  }
}

/** The rows of `streams` as one stream in key order (see the module comment), in batches of up to `batchRows`. */
export async function* mergeByKey(streams: ReadonlyArray<AsyncGenerator<JsonBatch>>, signal?: AbortSignal, batchRows = 2000): AsyncGenerator<string[]> {
  const cursors = streams.map((s) => new Cursor(s));
  try {
    let out: string[] = [];
    for (;;) {
      if (signal?.aborted) return;
      let best: Cursor | undefined;
      let bestKey = Infinity;
      for (const c of cursors) {
        if (c.i >= c.batch.rows.length) await c.fill();
        if (c.done) continue;
        const k = c.batch.keys[c.i]!;
        if (!best || k < bestKey) {
          best = c;
          bestKey = k;
        }
      }
      if (!best) break;
      // The best stream's rows up to the next stream's key go at once (one stream: every row).
      let limit = Infinity;
      for (const c of cursors) if (c !== best && !c.done && c.i < c.batch.rows.length) limit = Math.min(limit, c.batch.keys[c.i]!);
      const b = best.batch;
      const first = cursors.indexOf(best);
      while (best.i < b.rows.length && out.length < batchRows) {
        const k = b.keys[best.i]!;
        // A tie with an earlier stream goes to that stream first.
        if (k > limit || (k === limit && cursors.some((c, j) => j < first && !c.done && c.i < c.batch.rows.length && c.batch.keys[c.i] === k))) break;
        out.push(b.rows[best.i++]!);
      }
      if (out.length >= batchRows) {
        yield out;
        out = [];
      }
    }
    if (out.length) yield out;
  } finally {
    for (const c of cursors) c.close();
  }
}
