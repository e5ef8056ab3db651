import type { FunctionDef } from '../registry.ts';
import { sprintfValue } from '../values/gofmt.ts';

/** `format(format, args)`: Go fmt.Sprintf (SPEC 14.3). */
export const format: FunctionDef = {
  name: 'format',
  doc: 'Format values like Go fmt.Sprintf: format(format="%s is %d", args=[Name, Age]).',
  args: {
    format: { type: 'string', required: true, doc: 'The format string (%v %s %d %x %f %q %t ...)' },
    args: { type: 'any', doc: 'One value, or an array of values' },
  },
  onArgError: false,
  run({ args }) {
    const a = args.args;
    const list = a === undefined ? [] : Array.isArray(a) ? a : [a];
    return sprintfValue(args.format as string, list);
  },
};
