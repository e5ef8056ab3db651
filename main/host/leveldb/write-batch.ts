/**
 * LevelDB's write batch (db/write_batch.cc), the payload of every record of a `.log` file:
 * an 8-byte sequence number, a 4-byte count, then `count` operations, each a tag byte
 * (1 = put, 0 = delete), a length-prefixed key and, for a put, a length-prefixed value. The
 * operations take consecutive sequence numbers from the batch's.
 */
import { CorruptionError, Decoder } from './coding.ts';

export const TYPE_DELETION = 0;
export const TYPE_VALUE = 1;

/** One operation of the database: a put (with its value) or a deletion. */
export interface Entry {
  readonly key: Uint8Array;
  readonly seq: number;
  readonly type: number;
  readonly value: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/**
 * Calls `apply` for each operation of a batch, in order. Like LevelDB's recovery, the
 * operations before a malformed one are applied, then the problem is thrown.
 */
export function decodeWriteBatch(data: Uint8Array, apply: (e: Entry) => void): void {
  if (data.length < 12) throw new CorruptionError(`log record too small for a write batch (${data.length} bytes)`);
  const d = new Decoder(data);
  const seq = d.fixed64();
  const count = d.fixed32();
  let found = 0;
  while (!d.done) {
    const tag = d.byte();
    if (tag === TYPE_VALUE) {
      const key = d.lengthPrefixed();
      const value = d.lengthPrefixed();
      apply({ key, seq: seq + found, type: TYPE_VALUE, value });
    } else if (tag === TYPE_DELETION) {
      apply({ key: d.lengthPrefixed(), seq: seq + found, type: TYPE_DELETION, value: EMPTY });
    } else {
      throw new CorruptionError(`unknown write batch tag ${tag} in operation ${found + 1}`);
    }
    found++;
  }
  if (found !== count) throw new CorruptionError(`write batch has wrong count: header says ${count}, found ${found}`);
}
