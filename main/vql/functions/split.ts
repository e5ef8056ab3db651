import type { FunctionDef } from '../registry.ts';
import { cachedRegex } from '../protocols/regex.ts';
import { splitGo } from '../regex/iterate.ts';

/** `split(string, sep, sep_string)`: split by a regex (Go's Regexp.Split, case-sensitive) or a literal (SPEC 14.2). */
export const split: FunctionDef = {
  name: 'split',
  doc: 'Split a string by a regex (sep) or a literal (sep_string).',
  args: {
    string: { type: 'string', required: true, doc: 'The string to split' },
    sep: { type: 'string', doc: 'A regex separator (RE2 syntax, case-sensitive)' },
    sep_string: { type: 'string', doc: 'A literal separator' },
  },
  run({ args, scope }) {
    const s = args.string as string;
    if (args.sep !== undefined) {
      const re = cachedRegex(args.sep as string, scope, { caseSensitive: true, callee: 'split' });
      return re ? splitGo(re, s) : null;
    }
    if (args.sep_string !== undefined) return s.split(args.sep_string as string);
    return null;
  },
};
