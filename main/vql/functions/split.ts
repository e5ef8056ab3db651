import type { FunctionDef } from '../registry.ts';
import { cachedRegex } from '../protocols/regex.ts';

/** `split(string, sep, sep_string)`: split by a regex or a literal (SPEC 14.2). */
export const split: FunctionDef = {
  name: 'split',
  doc: 'Split a string by a regex (sep) or a literal (sep_string).',
  args: {
    string: { type: 'string', required: true, doc: 'The string to split' },
    sep: { type: 'string', doc: 'A regex separator' },
    sep_string: { type: 'string', doc: 'A literal separator' },
  },
  run({ args, scope }) {
    const s = args.string as string;
    if (args.sep !== undefined) {
      const re = cachedRegex(args.sep as string, scope, '');
      if (!re) return null;
      const flags = re.flags.includes('g') ? re.flags : re.flags + 'g';
      const g = new RegExp(re.source, flags);
      const out: string[] = [];
      let last = 0;
      for (const m of s.matchAll(g)) {
        if (m[0] === '' ) {
          if (m.index === 0 || m.index === s.length) continue;
        }
        out.push(s.slice(last, m.index));
        last = m.index! + m[0].length;
      }
      out.push(s.slice(last));
      return out;
    }
    if (args.sep_string !== undefined) return s.split(args.sep_string as string);
    return null;
  },
};
