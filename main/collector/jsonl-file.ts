/**
 * The bytes of the collector's JSONL day files and their `.json.tidx` time index, as
 * Velociraptor's server writes client monitoring (VELOCIRAPTOR-FORMATS.md 2.4, 2.5, 3):
 *
 * - One row per line: the row's JSON from the engine's encoder (`toJSON`, Go's rules: keys in
 *   column order, times RFC 3339 in UTC, byte arrays as base64, byte strings as text with each
 *   invalid UTF-8 byte replaced, NaN and infinities as null), followed by the columns the server
 *   appends, inserted before the closing `}` exactly as `json.AppendJsonlItem` does:
 *   `,"ClientId":"<id>","_ts":<unix seconds>,"_Source":"<id>"`. A row that already has one of
 *   those columns then holds it twice, as on a Velociraptor server; JSON readers keep the last.
 * - The index: one 24-byte little-endian record per row, `int64` time in nanoseconds (the flush
 *   time of the batch, the same instant as `_ts`), `int64` byte offset of the row's first byte
 *   in the `.json`, `int64` 0. One record per row, each pointing exactly at its row (a writer
 *   of single rows; Velociraptor's blob writer points later rows at the `\n` before them).
 */
import { toJSON } from '../vql/values/json.ts';
import type { VDict } from '../vql/values/types.ts';

/** Bytes of one time index record. */
export const TIDX_RECORD = 24;

/** One time index record: the time (ns since the epoch) and the offset of its row. */
export interface TidxRecord {
  ts: bigint;
  offset: number;
}

/** The text Velociraptor's server appends to every client event row (before its `}`). */
export function appendedColumns(clientId: string, tsSeconds: number): string {
  const id = JSON.stringify(clientId);
  return `,"ClientId":${id},"_ts":${tsSeconds},"_Source":${id}`;
}

/** One row's line, with `suffix` (the appended columns) inserted before its closing `}` and a `\n`. */
export function rowLine(row: VDict, suffix: string): string {
  const json = toJSON(row);
  // An empty object (a row without columns) takes the columns without a leading comma.
  return (json === '{}' ? '{' + suffix.slice(1) : json.slice(0, -1) + suffix) + '}\n';
}

/** A batch's bytes for the day file and for its index, rows starting at byte `offset` of the day file. */
export interface EncodedBatch {
  json: Buffer;
  tidx: Buffer;
}

/** Encodes rows written at `at` (one flush time for the batch) by client `clientId`, the first at byte `offset`. */
export function encodeBatch(rows: readonly VDict[], clientId: string, at: Date, offset: number): EncodedBatch {
  const ms = at.getTime();
  const suffix = appendedColumns(clientId, Math.floor(ms / 1000));
  let text = '';
  for (let i = 0; i < rows.length; i++) text += rowLine(rows[i]!, suffix);
  const json = Buffer.from(text, 'utf8');
  // A JSON line holds no raw newline (the encoder escapes them): each `\n` ends a row.
  const tidx = Buffer.alloc(rows.length * TIDX_RECORD);
  const ts = Buffer.alloc(8);
  ts.writeBigInt64LE(BigInt(Math.floor(ms)) * 1_000_000n);
  let start = 0;
  for (let i = 0; i < rows.length; i++) {
    const at = i * TIDX_RECORD;
    ts.copy(tidx, at);
    const off = offset + start;
    tidx.writeUInt32LE(off % 0x1_0000_0000, at + 8);
    tidx.writeUInt32LE(Math.floor(off / 0x1_0000_0000), at + 12);
    start = json.indexOf(0x0a, start) + 1;
  }
  return { json, tidx };
}

/** Writes record `i` into `buf` (its annotation offset stays 0). */
export function writeTidxRecord(buf: Buffer, i: number, r: TidxRecord): void {
  const at = i * TIDX_RECORD;
  buf.writeBigInt64LE(r.ts, at);
  buf.writeBigInt64LE(BigInt(r.offset), at + 8);
  buf.writeBigInt64LE(0n, at + 16);
}

/** Record `i` of index bytes. */
export function readTidxRecord(buf: Buffer, i: number): TidxRecord {
  const at = i * TIDX_RECORD;
  return { ts: buf.readBigInt64LE(at), offset: Number(buf.readBigInt64LE(at + 8)) };
}

/** The records of index bytes (a torn last record is left out). */
export function parseTidx(buf: Buffer): TidxRecord[] {
  const n = Math.floor(buf.length / TIDX_RECORD);
  const out: TidxRecord[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readTidxRecord(buf, i);
  return out;
}
