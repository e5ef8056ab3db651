/**
 * `serialize(item=, format=)`: a value as JSON (Velociraptor's one-space indentation), YAML
 * (the layout of Go's yaml package: block sequences not indented under their key, literal
 * blocks for multi-line text) or CSV (a header and one line per row).
 */
import { dump as dumpYaml } from 'js-yaml';
import { VBytes, VDict, VFloat, VTime, csvCell, csvQuote, stringerText, toJSON, type FunctionDef, type Scope, type Value } from '../../vql/index.ts';
import { normalizeValue } from '../../vql/eval/normalize.ts';
import { decodeUtf8Lossy } from '../../vql/values/go-utf8.ts';
import { materialize, memberEntries } from './collections.ts';
import { OSPath } from './ospath.ts';
import { textOf } from './text.ts';

/** Go's json.MarshalIndent(v, " ", "  "), the text Velociraptor's YAML gives a delegate OSPath. */
function indentedSpec(p: OSPath): string {
  return JSON.stringify(p.spec(), null, 2).replace(/\n/g, '\n ');
}

/** A value as plain JS data for js-yaml (dict order kept, host values as their text). */
function yamlData(v: Value, depth = 0): unknown {
  if (depth > 64) return null;
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v !== 'object') return v;
  if (v instanceof VFloat) return v.value;
  if (v instanceof VBytes) return decodeUtf8Lossy(v.bytes);
  if (v instanceof VTime) return v.toRFC3339();
  if (v instanceof OSPath) return v.delegate ? indentedSpec(v) : v.toString();
  if (Array.isArray(v)) return v.map((x) => yamlData(x, depth + 1));
  const text = stringerText(v);
  if (text !== undefined) return text;
  const entries = memberEntries(v);
  if (!entries) return textOf(v);
  const out: Record<string, unknown> = {};
  for (const [k, x] of entries) out[k] = yamlData(x, depth + 1);
  return out;
}

export function toYaml(v: Value): string {
  return dumpYaml(yamlData(v), { indent: 2, seqNoIndent: true, lineWidth: -1, quoteStyle: 'double', noRefs: true });
}

/** Rows as CSV: the first row's columns as the header, Velociraptor's cell encoding. */
export function toCsv(rows: readonly Value[]): string {
  const dicts = rows.map((r) => new VDict(memberEntries(r) ?? [['_value', r]]));
  if (dicts.length === 0) return '';
  const columns = dicts[0]!.keys();
  let out = columns.map((c) => csvQuote(c)).join(',') + '\n';
  for (const d of dicts) {
    out += columns.map((c) => {
      const x = d.get(c);
      const cell = typeof x === 'symbol' ? null : (stringerText(x) ?? x);
      return csvQuote(csvCell(cell));
    }).join(',') + '\n';
  }
  return out;
}

async function normalized(v: Value, scope: Scope): Promise<Value> {
  return normalizeValue(await materialize(v, scope), scope);
}

export const serialize: FunctionDef = {
  name: 'serialize',
  doc: 'Serialize a value as text: format=json (default, indented), yaml, or csv (for a list of rows or a query).',
  args: {
    item: { type: 'any', required: true, doc: 'The value (or query)' },
    format: { type: 'string', doc: 'json, yaml or csv', default: 'json' },
  },
  async run(call) {
    const { args, scope } = call;
    const log = call.log.bind(call);
    const format = ((args.format as string | undefined) ?? 'json').toLowerCase();
    const item = await materialize(args.item, scope);
    switch (format) {
      case 'json':
        return toJSON(await normalized(item, scope), { indent: 1 });
      case 'yaml':
        return toYaml(item);
      case 'csv':
        return toCsv(Array.isArray(item) ? item : [item]);
      default:
        log('error', `serialize: unknown format ${JSON.stringify(format)} (json, yaml or csv)`);
        return null;
    }
  },
};
