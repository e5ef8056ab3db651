/**
 * Decompressing journal DATA payloads: zstd (systemd's default since 249) through fzstd, a
 * pure-JavaScript decoder; LZ4 (the default from 229 to 248) through lz4.ts; XZ (the default
 * before 229, e.g. CentOS 7) through xz-decompress, xz-embedded compiled to WebAssembly and
 * inlined in its script. None needs a native build or a download.
 */
import { createRequire } from 'node:module';
import { decompress as zstdDecompress } from 'fzstd';
import { lz4DecompressBlock } from './lz4.ts';
import { OBJECT_COMPRESSED_LZ4, OBJECT_COMPRESSED_XZ, OBJECT_COMPRESSED_ZSTD } from './format.ts';

/** The largest decompressed payload accepted (a coredump field can be large; a corrupt size can be anything). */
export const MAX_DECOMPRESSED = 256 * 1024 * 1024;

type XzModule = { XzReadableStream: new (s: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array> };
let xzModule: XzModule | null = null;

async function xzDecompress(src: Uint8Array): Promise<Uint8Array> {
  xzModule ??= createRequire(import.meta.url)('xz-decompress') as XzModule;
  const input = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(src);
      c.close();
    },
  });
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = new xzModule.XzReadableStream(input).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_DECOMPRESSED) {
      await reader.cancel();
      throw new Error(`XZ: more than ${MAX_DECOMPRESSED} bytes decompressed`);
    }
    chunks.push(value.slice());
  }
  return Buffer.concat(chunks);
}

/** The codec named by a DATA object's flags ('' when the payload is stored as is). */
export function codecName(flags: number): string {
  if (flags & OBJECT_COMPRESSED_ZSTD) return 'zstd';
  if (flags & OBJECT_COMPRESSED_LZ4) return 'lz4';
  if (flags & OBJECT_COMPRESSED_XZ) return 'xz';
  return '';
}

/** Decompresses a payload stored with `flags`; throws with the codec's message on bad data. */
export async function decompressPayload(flags: number, src: Uint8Array): Promise<Uint8Array> {
  if (flags & OBJECT_COMPRESSED_ZSTD) return zstdDecompress(src);
  if (flags & OBJECT_COMPRESSED_LZ4) {
    if (src.length < 8) throw new Error('LZ4: payload shorter than its size prefix');
    const size = Number(Buffer.from(src.buffer, src.byteOffset, 8).readBigUInt64LE(0));
    if (size > MAX_DECOMPRESSED) throw new Error(`LZ4: decompressed size ${size} is too large`);
    return lz4DecompressBlock(src.subarray(8), size);
  }
  if (flags & OBJECT_COMPRESSED_XZ) return xzDecompress(src);
  return src;
}
