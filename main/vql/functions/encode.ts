import { VBytes } from '../values/types.ts';
import type { FunctionDef } from '../registry.ts';
import { goText } from '../values/gofmt.ts';
import { bytesToValue } from '../values/kinds.ts';

/** `encode(string, type)`: hex, string or utf16 decoding of a value's bytes (SPEC 14.2). */
export const encode: FunctionDef = {
  name: 'encode',
  doc: 'Encode a value: type="hex" gives lowercase hex of its bytes, "string" its text, "utf16" decodes UTF-16LE.',
  args: {
    string: { type: 'any', required: true, doc: 'The value' },
    type: { type: 'string', required: true, doc: 'hex, string or utf16' },
  },
  run({ args }) {
    const v = args.string;
    const bytes =
      v instanceof VBytes ? v.bytes : new TextEncoder().encode(typeof v === 'string' ? v : v instanceof Error ? v.message : goText(v));
    switch (args.type) {
      case 'hex':
        return Buffer.from(bytes).toString('hex');
      case 'string':
        return bytesToValue(bytes);
      case 'utf16': {
        let b = bytes;
        if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) b = b.subarray(2);
        return new TextDecoder('utf-16le').decode(b);
      }
      default:
        return null;
    }
  },
};
