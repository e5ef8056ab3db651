// The committed journal fixtures (test/fixtures/journald, written by systemd: see generate.ts
// there), unpacked into a temp folder, and helpers to corrupt copies of them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/journald/', import.meta.url));
export const VARIANTS = ['plain-regular', 'plain-compact', 'zstd-regular', 'zstd-compact', 'lz4-regular', 'xz-compact'] as const;
export type Variant = (typeof VARIANTS)[number];

/** What journalctl -o json read from the fixtures (keys sorted; __CURSOR left out). */
export const EXPECTED = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Array<Record<string, unknown>>;

export function fixtureBytes(v: Variant): Buffer {
  return gunzipSync(readFileSync(join(FIXTURES, `${v}.journal.gz`)));
}

/** Writes the fixture `v` to `dir/name` (default `<v>.journal`) and returns the path. */
export function unpack(dir: string, v: Variant, name = `${v}.journal`): string {
  const p = join(dir, name);
  writeFileSync(p, fixtureBytes(v));
  return p;
}

/** The objects of a journal file, walked one after the other: offset, type, flags, size. */
export function objects(b: Buffer): Array<{ offset: number; type: number; flags: number; size: number }> {
  const out = [];
  const tail = Number(b.readBigUInt64LE(136));
  for (let o = Number(b.readBigUInt64LE(88)); o <= tail && o + 16 <= b.length; ) {
    const size = Number(b.readBigUInt64LE(o + 8));
    if (size === 0) break;
    out.push({ offset: o, type: b[o]!, flags: b[o + 1]!, size });
    o += (size + 7) & ~7;
  }
  return out;
}
