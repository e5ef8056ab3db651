/**
 * Writes registry hive files ("regf") for the tests: an empty hive for hivex to merge into,
 * and hives with the structures hivex does not write itself (li and ri subkey lists, big data
 * "db" values, UTF-16 names), and damaged ones. One hive bin holds every cell.
 */

export interface BuildValue {
  /** "" for the default value. */
  readonly name: string;
  readonly type: number;
  readonly data: Uint8Array;
  /** Store the name as UTF-16LE (else Latin-1 "compressed" when it can be). */
  readonly utf16Name?: boolean;
}

export interface BuildKey {
  readonly name: string;
  /** FILETIME; default 2024-01-02T03:04:05Z. */
  readonly lastWrite?: bigint;
  readonly subkeys?: readonly BuildKey[];
  readonly values?: readonly BuildValue[];
  /** The subkey list kind (default lh); `ri` splits the subkeys into lh lists of `riChunk`. */
  readonly list?: 'lf' | 'lh' | 'li' | 'ri';
  readonly riChunk?: number;
  readonly utf16Name?: boolean;
}

export interface BuiltHive {
  readonly bytes: Uint8Array;
  /** Key path (`\`-joined, "" for the root) → its nk cell offset. */
  readonly keys: Map<string, number>;
  /** Key path → its subkey list cell offset. */
  readonly lists: Map<string, number>;
  /** Key path + `\\` + value name → its vk cell offset. */
  readonly values: Map<string, number>;
}

/** 2024-01-02T03:04:05Z as a FILETIME. */
export const DEFAULT_TIME = (BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 10_000n) + 116444736000000000n;

const SEGMENT = 16344;

function latin1able(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}
function nameBytes(s: string, utf16: boolean | undefined): { bytes: Uint8Array; compressed: boolean } {
  if (!utf16 && latin1able(s)) return { bytes: Uint8Array.from(s, (c) => c.charCodeAt(0)), compressed: true };
  return { bytes: new Uint8Array(Buffer.from(s, 'utf16le')), compressed: false };
}
function lhHash(name: string): number {
  let h = 0;
  for (const c of name.toUpperCase()) h = (Math.imul(h, 37) + c.charCodeAt(0)) >>> 0;
  return h;
}

class Cells {
  private buf = new Uint8Array(1 << 16);
  /** Next free relative offset (cells start after the 32-byte hbin header). */
  next = 0x20;
  alloc(len: number): { off: number; view: DataView; bytes: Uint8Array } {
    const size = Math.ceil((len + 4) / 8) * 8;
    while (0x1000 + this.next + size + 0x1000 > this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    const off = this.next;
    this.next += size;
    const abs = 0x1000 + off;
    const view = new DataView(this.buf.buffer, abs, size);
    view.setInt32(0, -size, true);
    return { off, view: new DataView(this.buf.buffer, abs + 4, size - 4), bytes: this.buf.subarray(abs + 4, abs + size) };
  }
  /** The cell at `off` again (alloc's views go stale when the buffer grows). */
  at(off: number): { view: DataView; bytes: Uint8Array } {
    const abs = 0x1000 + off;
    const size = -new DataView(this.buf.buffer).getInt32(abs, true);
    return { view: new DataView(this.buf.buffer, abs + 4, size - 4), bytes: this.buf.subarray(abs + 4, abs + size) };
  }
  finish(rootOffset: number): Uint8Array {
    const binSize = Math.ceil((this.next + 8) / 0x1000) * 0x1000;
    const out = this.buf.slice(0, 0x1000 + binSize);
    const v = new DataView(out.buffer);
    // The rest of the bin: one free cell.
    v.setInt32(0x1000 + this.next, binSize - this.next, true);
    // hbin header.
    out.set([0x68, 0x62, 0x69, 0x6e], 0x1000);
    v.setUint32(0x1004, 0, true);
    v.setUint32(0x1008, binSize, true);
    // Base block.
    out.set([0x72, 0x65, 0x67, 0x66], 0);
    v.setUint32(4, 1, true);
    v.setUint32(8, 1, true);
    v.setBigUint64(0x0c, DEFAULT_TIME, true);
    v.setUint32(0x14, 1, true);
    v.setUint32(0x18, 5, true);
    v.setUint32(0x1c, 0, true);
    v.setUint32(0x20, 1, true);
    v.setUint32(0x24, rootOffset, true);
    v.setUint32(0x28, binSize, true);
    v.setUint32(0x2c, 1, true);
    out.set(Buffer.from('\\??\\C:\\test\\hive', 'utf16le'), 0x30);
    let sum = 0;
    for (let i = 0; i < 0x1fc; i += 4) sum = (sum ^ v.getUint32(i, true)) >>> 0;
    if (sum === 0) sum = 1;
    if (sum === 0xffffffff) sum = 0xfffffffe;
    v.setUint32(0x1fc, sum, true);
    return out;
  }
}

/** A self-relative security descriptor with nothing in it. */
function writeSecurity(cells: Cells): number {
  const sd = new Uint8Array(20);
  sd[0] = 1;
  new DataView(sd.buffer).setUint16(2, 0x8004, true);
  const { off, view, bytes } = cells.alloc(0x14 + sd.length);
  bytes.set([0x73, 0x6b], 0);
  view.setUint32(4, off, true);
  view.setUint32(8, off, true);
  view.setUint32(0x0c, 1, true);
  view.setUint32(0x10, sd.length, true);
  bytes.set(sd, 0x14);
  return off;
}

function writeValue(cells: Cells, v: BuildValue): number {
  let size = v.data.length;
  let dataOff = 0;
  if (size <= 4) {
    const four = new Uint8Array(4);
    four.set(v.data);
    dataOff = new DataView(four.buffer).getUint32(0, true);
    size = (size | 0x80000000) >>> 0;
  } else if (size > SEGMENT) {
    const segs: number[] = [];
    for (let at = 0; at < v.data.length; at += SEGMENT) {
      const chunk = v.data.subarray(at, at + SEGMENT);
      const c = cells.alloc(chunk.length);
      c.bytes.set(chunk);
      segs.push(c.off);
    }
    const list = cells.alloc(segs.length * 4);
    segs.forEach((s, i) => list.view.setUint32(i * 4, s, true));
    const db = cells.alloc(8);
    db.bytes.set([0x64, 0x62], 0);
    db.view.setUint16(2, segs.length, true);
    db.view.setUint32(4, list.off, true);
    dataOff = db.off;
  } else {
    const c = cells.alloc(size);
    c.bytes.set(v.data);
    dataOff = c.off;
  }
  const name = nameBytes(v.name, v.utf16Name);
  const { off, view, bytes } = cells.alloc(0x14 + name.bytes.length);
  bytes.set([0x76, 0x6b], 0);
  view.setUint16(2, name.bytes.length, true);
  view.setUint32(4, size, true);
  view.setUint32(8, dataOff, true);
  view.setUint32(0x0c, v.type, true);
  view.setUint16(0x10, name.compressed ? 1 : 0, true);
  bytes.set(name.bytes, 0x14);
  return off;
}

function writeList(cells: Cells, kind: 'lf' | 'lh' | 'li', subs: ReadonlyArray<{ off: number; name: string }>): number {
  const step = kind === 'li' ? 4 : 8;
  const { off, view, bytes } = cells.alloc(4 + subs.length * step);
  bytes.set([kind.charCodeAt(0), kind.charCodeAt(1)], 0);
  view.setUint16(2, subs.length, true);
  subs.forEach((s, i) => {
    view.setUint32(4 + i * step, s.off, true);
    if (kind === 'lh') view.setUint32(8 + i * step, lhHash(s.name), true);
    if (kind === 'lf') {
      const hint = new Uint8Array(4);
      hint.set(Buffer.from(s.name.slice(0, 4), 'latin1').subarray(0, 4));
      bytes.set(hint, 8 + i * step);
    }
  });
  return off;
}

function writeKey(cells: Cells, k: BuildKey, parent: number, sk: number, path: string, keys: Map<string, number>, lists: Map<string, number>, vks: Map<string, number>, root = false): number {
  const name = nameBytes(k.name, k.utf16Name);
  const nk = cells.alloc(0x4c + name.bytes.length);
  const subs = [...(k.subkeys ?? [])].sort((a, b) => (a.name.toUpperCase() < b.name.toUpperCase() ? -1 : 1));
  const written = subs.map((s) => ({ off: writeKey(cells, s, nk.off, sk, path ? `${path}\\${s.name}` : s.name, keys, lists, vks), name: s.name }));
  let listOff = 0xffffffff;
  if (written.length) {
    const kind = k.list ?? 'lh';
    if (kind === 'ri') {
      const chunk = k.riChunk ?? 64;
      const parts: number[] = [];
      for (let i = 0; i < written.length; i += chunk) parts.push(writeList(cells, 'lh', written.slice(i, i + chunk)));
      const ri = cells.alloc(4 + parts.length * 4);
      ri.bytes.set([0x72, 0x69], 0);
      ri.view.setUint16(2, parts.length, true);
      parts.forEach((p, i) => ri.view.setUint32(4 + i * 4, p, true));
      listOff = ri.off;
    } else listOff = writeList(cells, kind, written);
    lists.set(path, listOff);
  }
  const values = k.values ?? [];
  let valueList = 0xffffffff;
  if (values.length) {
    const offs = values.map((v) => writeValue(cells, v));
    values.forEach((v, i) => vks.set(`${path}\\${v.name}`, offs[i]!));
    const vl = cells.alloc(offs.length * 4);
    offs.forEach((o, i) => vl.view.setUint32(i * 4, o, true));
    valueList = vl.off;
  }
  const fresh = cells.at(nk.off);
  const v = fresh.view;
  fresh.bytes.set([0x6e, 0x6b], 0);
  v.setUint16(2, (root ? 0x2c : 0x20) & (name.compressed ? 0xff : ~0x20), true);
  v.setBigUint64(4, k.lastWrite ?? DEFAULT_TIME, true);
  v.setUint32(0x10, parent, true);
  v.setUint32(0x14, written.length, true);
  v.setUint32(0x1c, listOff, true);
  v.setUint32(0x20, 0xffffffff, true);
  v.setUint32(0x24, values.length, true);
  v.setUint32(0x28, valueList, true);
  v.setUint32(0x2c, sk, true);
  v.setUint32(0x30, 0xffffffff, true);
  v.setUint32(0x34, Math.max(0, ...subs.map((s) => s.name.length * 2)), true);
  v.setUint32(0x3c, Math.max(0, ...values.map((x) => x.name.length * 2)), true);
  v.setUint32(0x40, Math.max(0, ...values.map((x) => x.data.length)), true);
  v.setUint16(0x48, name.bytes.length, true);
  fresh.bytes.set(name.bytes, 0x4c);
  keys.set(path, nk.off);
  return nk.off;
}

/** A hive whose root key is `root` (its name is the root key's name, e.g. "ROOT"). */
export function buildHive(root: BuildKey): BuiltHive {
  const cells = new Cells();
  const sk = writeSecurity(cells);
  const keys = new Map<string, number>();
  const lists = new Map<string, number>();
  const values = new Map<string, number>();
  const rootOff = writeKey(cells, root, 0, sk, '', keys, lists, values, true);
  return { bytes: cells.finish(rootOff), keys, lists, values };
}

/** An empty hive (a root key, nothing in it): what hivexregedit --merge fills. */
export function emptyHive(): Uint8Array {
  return buildHive({ name: 'ROOT' }).bytes;
}

/** Value data helpers. */
export const REG = {
  sz: (s: string) => new Uint8Array(Buffer.from(s + '\0', 'utf16le')),
  multi: (xs: string[]) => new Uint8Array(Buffer.from(xs.map((x) => x + '\0').join('') + '\0', 'utf16le')),
  dword: (n: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, true); return b; },
  dwordBE: (n: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, false); return b; },
  qword: (n: bigint) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, n, true); return b; },
};
