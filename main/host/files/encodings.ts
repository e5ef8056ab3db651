/**
 * Byte encodings: `base64encode`, `base64decode`, `unhex`, `gunzip`, `utf16`,
 * `utf16_encode`, `xor`, `entropy`. Results that are not valid UTF-8 stay byte strings.
 */
import { gunzipSync } from 'node:zlib';
import type { FunctionDef } from '../../vql/index.ts';
import { makeFloat } from '../../vql/values/types.ts';
import { bytesToValue } from '../../vql/values/kinds.ts';
import { textBytes, textOf } from './text.ts';

export const base64encode: FunctionDef = {
  name: 'base64encode',
  doc: 'Encode a string\'s bytes as standard base64.',
  args: { string: { type: 'any', required: true, doc: 'The data' } },
  run: ({ args }) => Buffer.from(textBytes(args.string)).toString('base64'),
};

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const B64URL = /^[A-Za-z0-9_-]*={0,2}$/;

export const base64decode: FunctionDef = {
  name: 'base64decode',
  doc: 'Decode base64 (standard or URL alphabet, padded or not); NULL when it is not base64.',
  args: { string: { type: 'any', required: true, doc: 'Base64 text' } },
  run(call) {
    const { args } = call;
    const log = call.log.bind(call);
    const s = textOf(args.string).replace(/[\r\n]/g, '');
    const padded = s.length % 4 === 0 || !s.includes('=');
    if ((B64.test(s) || B64URL.test(s)) && padded && s.length % 4 !== 1) {
      return bytesToValue(Buffer.from(s, B64.test(s) ? 'base64' : 'base64url'));
    }
    log('debug', 'base64decode: not base64');
    return null;
  },
};

export const unhex: FunctionDef = {
  name: 'unhex',
  doc: 'Decode hex text into bytes; NULL when it is not hex.',
  args: { string: { type: 'any', required: true, doc: 'Hex text' } },
  run({ args }) {
    const s = textOf(args.string);
    if (!/^[0-9a-fA-F]*$/.test(s)) return null;
    // An odd trailing digit is dropped: Go's hex.DecodeString keeps the bytes before it.
    return bytesToValue(Buffer.from(s.slice(0, s.length - (s.length % 2)), 'hex'));
  },
};

export const gunzip: FunctionDef = {
  name: 'gunzip',
  doc: 'Decompress gzip data; NULL when it is not gzip.',
  args: { string: { type: 'any', required: true, doc: 'Gzip-compressed data' } },
  run(call) {
    const { args } = call;
    const log = call.log.bind(call);
    try {
      return bytesToValue(gunzipSync(textBytes(args.string)));
    } catch (e) {
      log('warn', `gunzip: ${(e as Error).message}`);
      return null;
    }
  },
};

export const utf16: FunctionDef = {
  name: 'utf16',
  doc: 'Decode UTF-16LE bytes into a string.',
  args: { string: { type: 'any', required: true, doc: 'UTF-16LE data' } },
  run({ args }) {
    let b = textBytes(args.string);
    if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) b = b.subarray(2);
    return new TextDecoder('utf-16le').decode(b);
  },
};

export const utf16Encode: FunctionDef = {
  name: 'utf16_encode',
  doc: 'Encode a string as UTF-16LE bytes.',
  args: { string: { type: 'any', required: true, doc: 'The text' } },
  run: ({ args }) => bytesToValue(Buffer.from(textOf(args.string), 'utf16le')),
};

export const xor: FunctionDef = {
  name: 'xor',
  doc: 'XOR data with a repeating key.',
  args: {
    string: { type: 'any', required: true, doc: 'The data' },
    key: { type: 'any', required: true, doc: 'The key' },
  },
  run({ args }) {
    const data = textBytes(args.string);
    const key = textBytes(args.key);
    if (key.length === 0) return bytesToValue(data);
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ key[i % key.length]!;
    return bytesToValue(out);
  },
};

export const entropy: FunctionDef = {
  name: 'entropy',
  doc: 'Shannon entropy of a string\'s bytes, in bits per byte (0 to 8).',
  args: { string: { type: 'any', required: true, doc: 'The data' } },
  run({ args }) {
    const b = textBytes(args.string);
    if (b.length === 0) return makeFloat(0);
    const counts = new Array<number>(256).fill(0);
    for (const x of b) counts[x]!++;
    let h = 0;
    for (const c of counts) {
      if (c === 0) continue;
      const p = c / b.length;
      h -= p * Math.log2(p);
    }
    return makeFloat(h);
  },
};

/** RC4 (also its own inverse). */
export function rc4(key: Uint8Array, data: Uint8Array): Uint8Array {
  const s = Uint8Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = new Uint8Array(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 0xff;
    j = (j + s[i]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 0xff]!;
  }
  return out;
}

export const cryptoRc4: FunctionDef = {
  name: 'crypto_rc4',
  doc: 'Encrypt or decrypt data with RC4.',
  args: {
    string: { type: 'any', required: true, doc: 'The data' },
    key: { type: 'any', required: true, doc: 'The key' },
  },
  run({ args }) {
    const key = textBytes(args.key);
    return key.length === 0 ? null : bytesToValue(rc4(key, textBytes(args.string)));
  },
};

export const encodingFunctions: readonly FunctionDef[] = [base64encode, base64decode, unhex, gunzip, utf16, utf16Encode, xor, entropy, cryptoRc4];
