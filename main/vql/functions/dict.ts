import { VDict, type Value } from '../values/types.ts';
import type { FunctionDef } from '../registry.ts';
import { normalizeValue } from '../eval/normalize.ts';

/** `dict(...)`: an ordered dict of the arguments, in call order (SPEC 14.2). */
export const dict: FunctionDef = {
  name: 'dict',
  doc: 'Build an ordered dict from the named arguments: dict(Name="x", Count=1).',
  args: {},
  freeArgs: true,
  run({ args, scope }) {
    const d = new VDict();
    let pending: Promise<void> | null = null;
    for (const k of Object.keys(args)) {
      const v = normalizeValue(args[k], scope);
      if (v instanceof Promise || pending) {
        d.set(k, null);
        pending = (pending ?? Promise.resolve()).then(async () => {
          d.setInPlace(k, (await v) as Value);
        });
      } else d.set(k, v);
    }
    return pending ? pending.then(() => d) : d;
  },
};
