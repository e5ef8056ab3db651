import type { PluginDef } from '../../vql/index.ts';

/**
 * `environ(vars=)`: the environment variables of this process, one row `{Name, Value}` each,
 * in the environment's order. `vars` keeps only the named variables (case-insensitively on
 * Windows, where variable names are).
 */
export const environ: PluginDef = {
  name: 'environ',
  doc: 'The environment variables of this process: one row per variable with columns Name, Value.',
  args: {
    vars: { type: 'strings', doc: 'Only these variables (default or empty: all)' },
  },
  *run({ args }) {
    const fold = (s: string) => (process.platform === 'win32' ? s.toUpperCase() : s);
    const vars = (args.vars as string[] | undefined) ?? [];
    const wanted = vars.length ? new Set(vars.map(fold)) : null;
    for (const [name, value] of Object.entries(process.env)) {
      if (value === undefined || (wanted && !wanted.has(fold(name)))) continue;
      yield { Name: name, Value: value };
    }
  },
};
