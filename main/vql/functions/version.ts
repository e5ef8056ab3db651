import type { FunctionDef } from '../registry.ts';

/** `version(function | plugin)`: the registered version of a function or plugin (builtins are 0). */
export const version: FunctionDef = {
  name: 'version',
  doc: 'The version number of a registered function or plugin; NULL when unknown.',
  args: {
    function: { type: 'string', doc: 'A function name' },
    plugin: { type: 'string', doc: 'A plugin name' },
  },
  run({ args, scope, log }) {
    const reg = scope.env.registry;
    if (args.function !== undefined) {
      const f = reg.functions.get(args.function as string);
      return f ? (f.version ?? 0) : null;
    }
    if (args.plugin !== undefined) {
      const p = reg.plugins.get(args.plugin as string);
      return p ? (p.version ?? 0) : null;
    }
    log('error', 'give function= or plugin=');
    return 0;
  },
};
