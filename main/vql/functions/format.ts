import type { FunctionDef } from '../registry.ts';
import type { Value } from '../values/types.ts';
import { sprintfValue } from '../values/gofmt.ts';

/** A format string split into literal text and plain verbs (`%v`, `%s`, `%d`), or null. */
type Plan = { literals: string[]; verbs: string[] } | null;

const plans = new Map<string, Plan>();

/** Plans `format` for the fast path; null when it uses flags, widths or other verbs. */
function plan(format: string): Plan {
  let p = plans.get(format);
  if (p !== undefined) return p;
  const literals: string[] = [];
  const verbs: string[] = [];
  let text = '';
  p = { literals, verbs };
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== '%') {
      text += c;
      continue;
    }
    const v = format[++i];
    if (v === '%') text += '%';
    else if (v === 'v' || v === 's' || v === 'd') {
      literals.push(text);
      verbs.push(v);
      text = '';
    } else {
      p = null;
      break;
    }
  }
  if (p) literals.push(text);
  if (plans.size > 1000) plans.clear();
  plans.set(format, p);
  return p;
}

/**
 * The common case — `%v`/`%s` of strings, `%v`/`%d` of ints, as many args as verbs — without
 * the full Go printer. Anything else returns undefined and goes to sprintf.
 */
function fastFormat(format: string, args: readonly Value[]): string | undefined {
  const p = plan(format);
  if (!p || p.verbs.length !== args.length) return undefined;
  let out = p.literals[0]!;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const verb = p.verbs[i];
    if (typeof a === 'string' && verb !== 'd') out += a;
    else if (typeof a === 'number' && Number.isInteger(a) && verb !== 's') out += String(a);
    else if (typeof a === 'bigint' && verb !== 's') out += a.toString();
    else return undefined;
    out += p.literals[i + 1]!;
  }
  return out;
}

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
    const f = args.format as string;
    return fastFormat(f, list) ?? sprintfValue(f, list);
  },
};
