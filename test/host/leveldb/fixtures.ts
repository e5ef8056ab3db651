/**
 * Fixtures for the leveldb() tests: databases made by the real LevelDB (classic-level, the
 * LevelDB C++ library with prebuilt binaries) and its own iterator as ground truth; a query
 * runner over the host registry; and a minimal table writer for block encodings that
 * LevelDB's Node build does not write (zstd, unknown types).
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { collect, VBytes, type Value } from '../../../main/vql/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';
import { crc32c, maskCrc } from '../../../main/host/leveldb/coding.ts';

export type Db = ClassicLevel<Buffer, Buffer>;
export type Pair = [string, string];

/** Opens (creating) a LevelDB database in `dir` with Buffer keys and values. */
export async function openDb(dir: string, options: { compression?: boolean; writeBufferSize?: number; maxFileSize?: number } = {}): Promise<Db> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer', ...options });
  await db.open();
  return db;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** LevelDB's own view: every live pair in its iterator's order, as hex. */
export async function truth(db: Db): Promise<Pair[]> {
  const out: Pair[] = [];
  for await (const [k, v] of db.iterator()) out.push([hex(k), hex(v)]);
  return out;
}

/** LevelDB's own view of a closed database folder, read on a copy (opening it writes: recovery). */
export async function truthOfCopy(dir: string): Promise<Pair[]> {
  const copy = mkdtempSync(join(tmpdir(), 'vql-leveldb-truth-'));
  cpSync(dir, copy, { recursive: true });
  const db = await openDb(copy);
  try {
    return await truth(db);
  } finally {
    await db.close();
  }
}

/** The bytes of a Key or Value column. */
export function bytesOf(v: Value): Buffer {
  if (v instanceof VBytes) return Buffer.from(v.bytes);
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  throw new Error(`not a string: ${String(v)}`);
}

export interface Result {
  rows: Array<Map<string, Value>>;
  logs: string[];
}

/** Runs a query on the host registry (with leveldb()); rows as maps of raw values. */
export async function run(query: string, vars: Record<string, unknown> = {}, signal?: AbortSignal): Promise<Result> {
  const logs: string[] = [];
  const rows = await collect(query, { registry: createHostRegistry(), vars, signal, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: rows.map((r) => new Map(r.map)), logs };
}

/** leveldb(file=dir)'s rows as hex pairs, and the log. */
export async function listed(dir: string): Promise<{ pairs: Pair[]; logs: string[] }> {
  const { rows, logs } = await run('SELECT * FROM leveldb(file=D)', { D: dir });
  return { pairs: rows.map((r) => [bytesOf(r.get('Key')!).toString('hex'), bytesOf(r.get('Value')!).toString('hex')]), logs };
}

/** Keys `prefix000000`... as bytes. */
export const key = (prefix: string, i: number): Buffer => Buffer.from(`${prefix}${String(i).padStart(6, '0')}`);

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** A block of full (unshared) keys with one restart point per entry. */
function block(entries: Array<[Uint8Array, Uint8Array]>): Buffer {
  const parts: Buffer[] = [];
  const restarts: number[] = [];
  let size = 0;
  for (const [k, v] of entries) {
    restarts.push(size);
    const p = Buffer.concat([Buffer.from([...varint(0), ...varint(k.length), ...varint(v.length)]), k, v]);
    parts.push(p);
    size += p.length;
  }
  const tail = Buffer.alloc(4 * restarts.length + 4);
  restarts.forEach((r, i) => tail.writeUInt32LE(r, 4 * i));
  tail.writeUInt32LE(restarts.length, 4 * restarts.length);
  return Buffer.concat([...parts, tail]);
}

/** An internal key: the user key and the little-endian (sequence << 8 | type) trailer. */
export function internalKey(userKey: Uint8Array, seq: number, type: number): Buffer {
  const t = Buffer.alloc(8);
  t.writeUInt32LE(((seq % 2 ** 24) * 256 + type) >>> 0, 0);
  t.writeUInt32LE(Math.floor(seq / 2 ** 24), 4);
  return Buffer.concat([userKey, t]);
}

/**
 * A table file holding `entries` (internal keys, sorted), `perBlock` entries per data block,
 * each data block stored with `compress` (its type byte and encoder).
 */
export function writeTable(entries: Array<[Buffer, Buffer]>, perBlock: number, compress: { type: number; encode: (b: Buffer) => Buffer }): Buffer {
  const out: Buffer[] = [];
  let offset = 0;
  const put = (contents: Buffer, type: number): number[] => {
    const trailer = Buffer.alloc(5);
    trailer[0] = type;
    const withType = Buffer.concat([contents, trailer.subarray(0, 1)]);
    trailer.writeUInt32LE(maskCrc(crc32c(withType)), 1);
    const handle = [...varint(offset), ...varint(contents.length)];
    out.push(contents, trailer);
    offset += contents.length + 5;
    return handle;
  };
  const index: Array<[Uint8Array, Uint8Array]> = [];
  for (let i = 0; i < entries.length; i += perBlock) {
    const chunk = entries.slice(i, i + perBlock);
    const handle = put(compress.encode(block(chunk)), compress.type);
    index.push([chunk.at(-1)![0], Buffer.from(handle)]);
  }
  const meta = put(block([]), 0);
  const idx = put(block(index), 0);
  const footer = Buffer.alloc(48);
  Buffer.from([...meta, ...idx]).copy(footer);
  Buffer.from([0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb]).copy(footer, 40);
  out.push(footer);
  return Buffer.concat(out);
}

/** A log-format file (a .log or a MANIFEST) holding `records`, fragmented across 32 KiB blocks as LevelDB writes them. */
export function logFile(records: Uint8Array[]): Buffer {
  const BLOCK = 32768;
  const out: Buffer[] = [];
  let offset = 0;
  const physical = (type: number, data: Uint8Array): void => {
    const h = Buffer.alloc(7);
    h.writeUInt16LE(data.length, 4);
    h[6] = type;
    h.writeUInt32LE(maskCrc(crc32c(Buffer.concat([h.subarray(6), data]))), 0);
    out.push(h, Buffer.from(data));
    offset += 7 + data.length;
  };
  for (const r of records) {
    let left = r;
    let first = true;
    do {
      const room = BLOCK - (offset % BLOCK);
      if (room < 7) {
        out.push(Buffer.alloc(room));
        offset += room;
        continue;
      }
      const n = Math.min(left.length, room - 7);
      const last = n === left.length;
      physical(first && last ? 1 : first ? 2 : last ? 4 : 3, left.subarray(0, n));
      left = left.subarray(n);
      first = false;
      if (last) break;
    } while (true);
  }
  return Buffer.concat(out);
}

const lengthPrefixed = (b: Uint8Array): Buffer => Buffer.concat([Buffer.from(varint(b.length)), b]);

/** A write batch: puts (value given) and deletions (value null) from sequence `seq` on. */
export function writeBatch(seq: number, ops: Array<[string | Uint8Array, string | Uint8Array | null]>): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt32LE(seq % 2 ** 32, 0);
  head.writeUInt32LE(Math.floor(seq / 2 ** 32), 4);
  head.writeUInt32LE(ops.length, 8);
  return Buffer.concat([head, ...ops.map(([k, v]) => Buffer.concat([
    Buffer.from([v === null ? 0 : 1]), lengthPrefixed(Buffer.from(k)), ...(v === null ? [] : [lengthPrefixed(Buffer.from(v))]),
  ]))]);
}

/** A version edit of a MANIFEST. */
export function versionEdit(edit: { comparator?: string; logNumber?: number; nextFile?: number; lastSequence?: number; newFiles?: Array<{ level: number; number: number; size: number; smallest: Buffer; largest: Buffer }> }): Buffer {
  const parts: Buffer[] = [];
  if (edit.comparator !== undefined) parts.push(Buffer.from(varint(1)), lengthPrefixed(Buffer.from(edit.comparator)));
  if (edit.logNumber !== undefined) parts.push(Buffer.from([...varint(2), ...varint(edit.logNumber)]));
  if (edit.nextFile !== undefined) parts.push(Buffer.from([...varint(3), ...varint(edit.nextFile)]));
  if (edit.lastSequence !== undefined) parts.push(Buffer.from([...varint(4), ...varint(edit.lastSequence)]));
  for (const f of edit.newFiles ?? []) {
    parts.push(Buffer.from([...varint(7), ...varint(f.level), ...varint(f.number), ...varint(f.size)]), lengthPrefixed(f.smallest), lengthPrefixed(f.largest));
  }
  return Buffer.concat(parts);
}
