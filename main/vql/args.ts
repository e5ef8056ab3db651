/**
 * Argument schemas for plugins and functions (SPEC 7.2). One declaration drives argument
 * validation, "did you mean" suggestions, editor completion and generated docs.
 */

/**
 * How an argument value is converted before the plugin or function sees it:
 * - `string`, `int`, `float`, `bool`: the coercions of SPEC 7.2;
 * - `strings`: a list of strings (a scalar becomes a one-element list);
 * - `any`: evaluated; a query object stays a query object, a materialized query becomes rows;
 * - `lazy`: passed unevaluated as a `LazyArg` (functions only; plugin args are eager);
 * - `query`: converted to rows (SPEC 10.2), received as a `RowSource`;
 * - `time`: a time, from a VTime, epoch seconds (int or float) or a date string.
 */
export type ArgType = 'string' | 'int' | 'float' | 'bool' | 'strings' | 'any' | 'lazy' | 'query' | 'time';

export interface ArgSpec {
  readonly type: ArgType;
  readonly required?: boolean;
  readonly doc: string;
  /** Documentation only: the default the implementation applies when the arg is absent. */
  readonly default?: string;
}

export type ArgSchema = Readonly<Record<string, ArgSpec>>;

/** Edit distance, for suggestions. */
export function editDistance(a: string, b: string): number {
  const al = a.toLowerCase();
  const bl = b.toLowerCase();
  const prev = new Array<number>(bl.length + 1);
  for (let j = 0; j <= bl.length; j++) prev[j] = j;
  for (let i = 1; i <= al.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= bl.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (al[i - 1] === bl[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[bl.length]!;
}

/** The closest candidates to `name` (case-insensitive), best first, at most `max`. */
export function suggest(name: string, candidates: Iterable<string>, max = 3): string[] {
  const limit = Math.max(2, Math.floor(name.length / 3));
  const scored: Array<[number, string]> = [];
  for (const c of candidates) {
    const d = editDistance(name, c);
    const prefix = c.toLowerCase().startsWith(name.toLowerCase()) || name.toLowerCase().startsWith(c.toLowerCase());
    if (d <= limit || (prefix && Math.min(name.length, c.length) >= 3)) scored.push([d, c]);
  }
  scored.sort((x, y) => x[0] - y[0] || x[1].localeCompare(y[1]));
  // Only the closest: `pslit` suggests pslist (1 edit), not plist too (2 edits).
  const best = scored[0]?.[0] ?? 0;
  return scored.filter((s) => s[0] === best).slice(0, max).map((s) => s[1]);
}

/** ` - did you mean `a` or `b`?` or '' when there is nothing close. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const s = suggest(name, candidates);
  if (s.length === 0) return '';
  return ` - did you mean ${s.map((x) => '`' + x + '`').join(' or ')}?`;
}

/**
 * Checks argument names against a schema. Returns an error message (naming the callee and
 * the argument, with suggestions) or undefined when the names are valid.
 */
export function checkArgNames(kind: 'plugin' | 'function', callee: string, schema: ArgSchema, given: Iterable<string>, freeArgs = false): string | undefined {
  const names = new Set(given);
  const known = Object.keys(schema);
  // A free-form callee takes any other name, but the ones it declares required stay required.
  if (!freeArgs) for (const n of names) {
    if (!(n in schema)) {
      const valid = known.length ? ` Valid arguments: ${known.join(', ')}.` : ` It takes no arguments.`;
      return `${kind} ${callee}(): unknown argument \`${n}\`${didYouMean(n, known)}${valid}`;
    }
  }
  for (const k of known) {
    if (schema[k]!.required && !names.has(k)) {
      return `${kind} ${callee}(): missing required argument \`${k}\` (${schema[k]!.type}: ${schema[k]!.doc})`;
    }
  }
  return undefined;
}
