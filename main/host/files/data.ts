/**
 * Data functions: `array`, `to_dict`, `items` (function and plugin), `filter`, `all`, `any`,
 * `set`, `expand`.
 */
import { VDict, truthy, type FunctionDef, type PluginDef, type Scope, type Value } from '../../vql/index.ts';
import { itemsOf, matchesAny, materialize, memberEntries } from './collections.ts';
import { lambdaArg } from './lambdas.ts';
import { LruCache } from './caches.ts';
import { textOf } from './text.ts';

export const array: FunctionDef = {
  name: 'array',
  doc: 'Build an array from the arguments in order; `_=` spreads a list (or a query\'s rows) into it.',
  args: {},
  freeArgs: true,
  async run({ args, scope }) {
    const out: Value[] = [];
    for (const key of Object.keys(args)) {
      const v = await materialize(args[key], scope);
      if (key === '_' && Array.isArray(v)) out.push(...v);
      else out.push(v);
    }
    return out;
  },
};

export const toDict: FunctionDef = {
  name: 'to_dict',
  doc: 'Build a dict from rows (or dicts) with _key and _value columns; a dict or object gives a dict of its members.',
  args: { item: { type: 'any', required: true, doc: 'A query or list of {_key, _value}, or a dict' } },
  async run({ args, scope }) {
    const v = await materialize(args.item, scope);
    if (!Array.isArray(v)) {
      const entries = memberEntries(v);
      return entries ? new VDict(entries) : null;
    }
    const out = new VDict();
    for (const row of v) {
      if (!(row instanceof VDict)) continue;
      const k = row.get('_key');
      if (typeof k === 'symbol' || k === null) continue;
      const val = row.get('_value');
      out.setInPlace(textOf(k), typeof val === 'symbol' ? null : val);
    }
    return out;
  },
};

/** {_key, _value} dicts for the members of a dict/object or the elements of a list. */
async function keyValues(item: Value, scope: Scope): Promise<VDict[]> {
  const v = await materialize(item, scope);
  const pairs: Array<[Value, Value]> = Array.isArray(v) ? v.map((x, i) => [i, x]) : memberEntries(v) ?? [];
  return pairs.map(([k, x]) => new VDict([['_key', k], ['_value', x]]));
}

export const itemsFunction: FunctionDef = {
  name: 'items',
  doc: 'The members of a dict (or elements of a list) as a list of {_key, _value}.',
  args: { item: { type: 'any', required: true, doc: 'A dict, object or list' } },
  run: ({ args, scope }) => keyValues(args.item, scope),
};

export const itemsPlugin: PluginDef = {
  name: 'items',
  doc: 'One row {_key, _value} per member of a dict (or element of a list).',
  args: { item: { type: 'any', required: true, doc: 'A dict, object or list' } },
  async *run({ args, scope }) {
    yield* await keyValues(args.item, scope);
  },
};

/** Whether an item passes a regex list and/or a lambda condition. */
async function passes(item: Value, regex: string[] | undefined, fn: ((s: Scope, x: Value) => unknown) | null, scope: Scope, callee: string): Promise<boolean> {
  if (regex && regex.length && !matchesAny(item, regex, scope, callee)) return false;
  if (fn) return truthy(await fn(scope, item), scope);
  if (!regex || regex.length === 0) return truthy(item, scope);
  return true;
}

const conditionArgs = {
  regex: { type: 'strings', doc: 'Keep items whose text matches one of these regexes' },
} as const;

export const filter: FunctionDef = {
  name: 'filter',
  doc: 'The items of a list (or query) that satisfy `condition` (a lambda) and/or match `regex`.',
  args: {
    list: { type: 'any', required: true, doc: 'A list or a query' },
    condition: { type: 'string', doc: 'A lambda: keep items for which it is true' },
    ...conditionArgs,
  },
  async run({ args, scope }) {
    const fn = args.condition !== undefined ? lambdaArg(String(args.condition), scope) : null;
    if (args.condition !== undefined && !fn) return null;
    const out: Value[] = [];
    for (const item of await itemsOf(args.list, scope)) {
      if (await passes(item, args.regex as string[] | undefined, fn, scope, 'filter')) out.push(item);
    }
    return out;
  },
};

function quantifier(name: 'all' | 'any'): FunctionDef {
  const isAll = name === 'all';
  return {
    name,
    doc: isAll
      ? 'TRUE when every item (of a list or query) satisfies `filter` (a lambda) and/or matches `regex`; TRUE for no items.'
      : 'TRUE when some item (of a list or query) satisfies `filter` (a lambda) and/or matches `regex`.',
    args: {
      items: { type: 'any', required: true, doc: 'A list or a query' },
      filter: { type: 'string', doc: 'A lambda tested on each item' },
      ...conditionArgs,
    },
    async run({ args, scope }) {
      const fn = args.filter !== undefined ? lambdaArg(String(args.filter), scope) : null;
      if (args.filter !== undefined && !fn) return null;
      for (const item of await itemsOf(args.items, scope)) {
        const ok = await passes(item, args.regex as string[] | undefined, fn, scope, name);
        if (isAll && !ok) return false;
        if (!isAll && ok) return true;
      }
      return isAll;
    },
  };
}

export const all = quantifier('all');
export const any = quantifier('any');

export const set: FunctionDef = {
  name: 'set',
  doc: 'Set a field of a dict (or lru cache) in place and return it.',
  args: {
    item: { type: 'any', required: true, doc: 'The dict to change' },
    field: { type: 'any', required: true, doc: 'The field name' },
    value: { type: 'any', required: true, doc: 'The new value' },
  },
  run(call) {
    const { args } = call;
    const log = call.log.bind(call);
    const item = args.item;
    const field = textOf(args.field);
    if (item instanceof VDict) {
      item.setInPlace(field, args.value);
      return item;
    }
    if (item instanceof LruCache) {
      item.set(field, args.value);
      return item;
    }
    log('error', 'set: item must be a dict');
    return null;
  },
};

/**
 * Expands `%NAME%` (left alone when unknown) and `$NAME` / `${NAME}` (empty when unknown), the
 * values from `lookup` (this process's environment; a remapping's impersonated one).
 */
export function expandVars(text: string, lookup: (name: string) => string | undefined): string {
  return text
    .replace(/%([A-Za-z_][\w()]*)%/g, (m, name: string) => lookup(name) ?? m)
    .replace(/\$(?:\{([^}]+)\}|([A-Za-z_]\w*))/g, (_m, a: string | undefined, b: string | undefined) => lookup(a ?? b!) ?? '');
}

/** expandVars() with this process's environment (names in any case on Windows). */
export function expandEnv(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return expandVars(text, (name) => {
    if (process.platform !== 'win32') return env[name];
    const key = Object.keys(env).find((k) => k.toUpperCase() === name.toUpperCase());
    return key === undefined ? undefined : env[key];
  });
}

export const expand: FunctionDef = {
  name: 'expand',
  doc: 'Expand environment variables in a path: %NAME% (Windows style) and $NAME / ${NAME}.',
  args: { path: { type: 'any', required: true, doc: 'The text to expand' } },
  run: ({ args }) => expandEnv(textOf(args.path)),
};

export const dataFunctions: readonly FunctionDef[] = [array, toDict, itemsFunction, filter, all, any, set, expand];
