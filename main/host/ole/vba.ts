/**
 * VBA macros in a compound file ([MS-OVBA]): each VBA project (a storage holding a `VBA`
 * storage with a `dir` stream: `Macros/VBA` in .doc, `_VBA_PROJECT_CUR/VBA` in .xls,
 * `VBA` at the top of an OOXML document's vbaProject.bin), its `dir` stream decompressed and
 * read for the modules, and each module's source decompressed from its stream at the module's
 * offset and decoded with the project's code page.
 */
import { CfbError, EntryType, type CfbEntry, type CfbFile } from './cfb.ts';

export class VbaError extends Error {}

/** A module's source as Velociraptor's olevba gives it (oleparse's VBAModule). */
export interface VbaModule {
  readonly ModuleName: string;
  readonly StreamName: string;
  /** `Module` (a standard module) or `Class` (a class, document or form module). */
  readonly Type: 'Module' | 'Class';
  readonly Code: string;
}

/**
 * Decompresses an MS-OVBA CompressedContainer (2.4.1): a 0x01 signature byte, then chunks of
 * at most 4096 decompressed bytes, each raw or a sequence of literal and copy tokens. Output
 * past `max` bytes is an error (the caller's size limit).
 */
export function decompressVba(data: Uint8Array, start = 0, max = 64 << 20): Uint8Array {
  if (data[start] !== 0x01) throw new VbaError(`compressed container: signature byte is ${data[start] === undefined ? 'missing' : `0x${data[start]!.toString(16)}`}, not 0x01`);
  let out = new Uint8Array(Math.min(max, Math.max(4096, (data.length - start) * 3)));
  let n = 0;
  const grow = (need: number) => {
    if (need <= out.length) return;
    if (need > max) throw new VbaError(`decompresses to more than ${max} bytes`);
    const bigger = new Uint8Array(Math.min(max, Math.max(need, out.length * 2)));
    bigger.set(out.subarray(0, n));
    out = bigger;
  };
  let pos = start + 1;
  while (pos + 2 <= data.length) {
    const header = data[pos]! | (data[pos + 1]! << 8);
    const chunkEnd = Math.min(data.length, pos + (header & 0x0fff) + 3);
    if (((header >> 12) & 7) !== 3) throw new VbaError(`chunk at byte ${pos}: bad signature in its header 0x${header.toString(16)}`);
    pos += 2;
    const chunkStart = n;
    if (!(header & 0x8000)) {
      // A raw chunk: 4096 bytes as they are.
      const raw = data.subarray(pos, Math.min(data.length, pos + 4096));
      grow(n + raw.length);
      out.set(raw, n);
      n += raw.length;
      pos += 4096;
      continue;
    }
    while (pos < chunkEnd) {
      const flags = data[pos++]!;
      for (let bit = 0; bit < 8 && pos < chunkEnd; bit++) {
        if (!(flags & (1 << bit))) {
          grow(n + 1);
          out[n++] = data[pos++]!;
          continue;
        }
        if (pos + 2 > chunkEnd) throw new VbaError(`chunk at byte ${chunkStart}: a copy token runs past the chunk`);
        const token = data[pos]! | (data[pos + 1]! << 8);
        pos += 2;
        const done = n - chunkStart;
        let bitCount = 4;
        while (1 << bitCount < done) bitCount++;
        bitCount = Math.min(bitCount, 12);
        const lengthMask = 0xffff >> bitCount;
        const length = (token & lengthMask) + 3;
        const offset = (token >> (16 - bitCount)) + 1;
        if (offset > done) throw new VbaError(`copy token at byte ${pos - 2} reaches ${offset} bytes back, before its chunk's start`);
        grow(n + length);
        for (let i = 0; i < length; i++, n++) out[n] = out[n - offset]!;
      }
    }
  }
  return out.slice(0, n);
}

/** Code pages as the WHATWG encodings Node's TextDecoder knows (others read as windows-1252). */
const CODE_PAGES: Record<number, string> = {
  874: 'windows-874', 932: 'shift_jis', 936: 'gbk', 949: 'euc-kr', 950: 'big5', 1200: 'utf-16le', 1201: 'utf-16be',
  1250: 'windows-1250', 1251: 'windows-1251', 1252: 'windows-1252', 1253: 'windows-1253', 1254: 'windows-1254',
  1255: 'windows-1255', 1256: 'windows-1256', 1257: 'windows-1257', 1258: 'windows-1258', 10000: 'macintosh',
  20866: 'koi8-r', 28591: 'iso-8859-1', 28592: 'iso-8859-2', 28595: 'iso-8859-5', 65001: 'utf-8',
};

export function decoderFor(codePage: number): TextDecoder {
  try {
    return new TextDecoder(CODE_PAGES[codePage] ?? 'windows-1252');
  } catch {
    return new TextDecoder('windows-1252');
  }
}

interface DirModule {
  name: string;
  unicodeName?: string;
  streamName?: string;
  unicodeStreamName?: string;
  offset: number;
  type: 'Module' | 'Class';
}

/** The code page and modules a decompressed `dir` stream names (2.3.4.2). */
export function readDir(dir: Uint8Array): { codePage: number; modules: DirModule[] } {
  const v = new DataView(dir.buffer, dir.byteOffset, dir.length);
  let codePage = 1252;
  const modules: DirModule[] = [];
  let cur: DirModule | null = null;
  const latin = new TextDecoder('windows-1252');
  let decode = (b: Uint8Array) => latin.decode(b);
  for (let pos = 0; pos + 6 <= dir.length; ) {
    const id = v.getUint16(pos, true);
    const size = v.getUint32(pos + 2, true);
    pos += 6;
    // PROJECTVERSION's "size" is a reserved 4 followed by 6 bytes of version.
    const len = id === 0x0009 ? 6 : size;
    if (pos + len > dir.length) throw new VbaError(`dir stream: record 0x${id.toString(16).padStart(4, '0')} at byte ${pos - 6} runs past the stream's end`);
    const body = dir.subarray(pos, pos + len);
    pos += len;
    switch (id) {
      case 0x0003:
        if (len >= 2) {
          codePage = v.getUint16(pos - len, true);
          const d = decoderFor(codePage);
          decode = (b) => d.decode(b);
        }
        break;
      case 0x0019:
        cur = { name: decode(body), offset: 0, type: 'Module' };
        modules.push(cur);
        break;
      case 0x0047:
        if (cur) cur.unicodeName = Buffer.from(body).toString('utf16le');
        break;
      case 0x001a:
        if (cur) cur.streamName = decode(body);
        break;
      case 0x0032:
        if (cur) cur.unicodeStreamName = Buffer.from(body).toString('utf16le');
        break;
      case 0x0031:
        if (cur && len >= 4) cur.offset = v.getUint32(pos - len, true);
        break;
      case 0x0022:
        if (cur) cur.type = 'Class';
        break;
      case 0x002b:
        cur = null;
        break;
      case 0x0010:
        return { codePage, modules };
    }
  }
  return { codePage, modules };
}

/** The storages holding a VBA project: every `VBA` storage with a `dir` stream, at any depth. */
export function vbaStorages(cfb: CfbFile): CfbEntry[] {
  const out: CfbEntry[] = [];
  const walk = (e: CfbEntry, depth: number) => {
    if (depth > 64) return;
    for (const c of e.children) {
      if (c.type !== EntryType.Storage) continue;
      if (c.name.toLowerCase() === 'vba' && c.children.some((s) => s.type === EntryType.Stream && s.name.toLowerCase() === 'dir')) out.push(c);
      walk(c, depth + 1);
    }
  };
  walk(cfb.root, 0);
  return out;
}

/**
 * The modules of the VBA project in storage `vba`. A module whose stream is missing or damaged
 * is reported through `warn` and skipped; a damaged `dir` stream is an error.
 */
export async function vbaModules(cfb: CfbFile, vba: CfbEntry, max: number, warn: (m: string) => void): Promise<VbaModule[]> {
  const dirEntry = vba.children.find((c) => c.type === EntryType.Stream && c.name.toLowerCase() === 'dir')!;
  if (dirEntry.size > max) throw new VbaError(`its dir stream is ${dirEntry.size} bytes, over max_size ${max}`);
  const { codePage, modules } = readDir(decompressVba(await cfb.read(dirEntry), 0, max));
  const decoder = decoderFor(codePage);
  const out: VbaModule[] = [];
  for (const m of modules) {
    const streamName = m.unicodeStreamName || m.streamName || m.name;
    const name = m.unicodeName || m.name;
    const entry = vba.children.find((c) => c.type === EntryType.Stream && c.name === streamName) ?? vba.children.find((c) => c.type === EntryType.Stream && c.name.toLowerCase() === streamName.toLowerCase());
    if (!entry) {
      warn(`module ${name}: its stream ${streamName} is not in the VBA storage`);
      continue;
    }
    try {
      if (entry.size > max) throw new VbaError(`${entry.size} bytes, over max_size ${max}`);
      const stream = await cfb.read(entry);
      if (m.offset >= stream.length) throw new VbaError(`its source offset ${m.offset} is past the stream's end (${stream.length} bytes)`);
      const code = decoder.decode(decompressVba(stream, m.offset, max));
      out.push({ ModuleName: name, StreamName: streamName, Type: m.type, Code: code });
    } catch (e) {
      if (!(e instanceof VbaError) && !(e instanceof CfbError)) throw e;
      warn(`module ${name} (stream ${streamName}): ${e.message}`);
    }
  }
  return out;
}
