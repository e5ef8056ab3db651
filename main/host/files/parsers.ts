/**
 * Line-oriented and document parsers over accessors: `parse_lines`, `parse_jsonl`,
 * `parse_csv`, `parse_yaml`, and `parse_json` / `parse_json_array` over strings.
 */
import Papa from 'papaparse';
import { load as loadYaml, loadAll as loadAllYaml } from 'js-yaml';
import { VDict, fromJSON, toValue, type FunctionDef, type PluginDef, type Scope, type Value } from '../../vql/index.ts';
import { readAll, readChunks, type Accessor } from './accessors.ts';
import { accessorOrLog } from './read.ts';
import { textOf } from './text.ts';

const fileArgs = {
  filename: { type: 'any', required: true, doc: 'The file (or, with accessor=data, the text itself)' },
  accessor: { type: 'string', doc: 'How to read it: auto (default), file, data, scope...', default: 'auto' },
} as const;

/** The lines of a file, without their `\n` (and a trailing `\r`), as Go's bufio.ScanLines. */
export async function* fileLines(accessor: Accessor, filename: Value, scope: Scope): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of readChunks(accessor, filename, scope)) {
    const text = rest + decoder.decode(chunk, { stream: true });
    const lines = text.split('\n');
    rest = lines.pop()!;
    for (const l of lines) yield l.endsWith('\r') ? l.slice(0, -1) : l;
  }
  rest += decoder.decode();
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

export const parseLines: PluginDef = {
  name: 'parse_lines',
  doc: 'One row per line of a file: {Line}.',
  args: fileArgs,
  async *run(call) {
    const { args, scope } = call;
    const log = call.log.bind(call);
    const accessor = accessorOrLog(scope, args.accessor, 'parse_lines', log);
    if (!accessor) return;
    try {
      for await (const line of fileLines(accessor, args.filename, scope)) yield new VDict([['Line', line]]);
    } catch (e) {
      log('warn', `parse_lines: ${(e as Error).message}`);
    }
  },
};

export const parseJsonl: PluginDef = {
  name: 'parse_jsonl',
  doc: 'One row per line of a JSON-lines file; empty lines and lines that do not parse as a JSON object are skipped.',
  args: fileArgs,
  async *run(call) {
    const { args, scope } = call;
    const log = call.log.bind(call);
    const accessor = accessorOrLog(scope, args.accessor, 'parse_jsonl', log);
    if (!accessor) return;
    try {
      for await (const line of fileLines(accessor, args.filename, scope)) {
        if (line.trim() === '') continue;
        let v: Value;
        try {
          v = fromJSON(line);
        } catch {
          log('debug', `parse_jsonl: skipping a line that is not JSON: ${line.slice(0, 80)}`);
          continue;
        }
        if (v instanceof VDict) yield v;
      }
    } catch (e) {
      log('warn', `parse_jsonl: ${(e as Error).message}`);
    }
  },
};

/**
 * CSV records of a file, parsed chunk by chunk: each chunk's last (maybe incomplete) record
 * is carried into the next. (Papaparse's own Node stream mode needs a CommonJS `require`,
 * which a bundled ESM build does not have.)
 */
async function* csvRecords(chunks: AsyncIterable<Uint8Array>, delimiter: string, comments: string | false): AsyncGenerator<string[][]> {
  const decoder = new TextDecoder();
  let carry = '';
  let newline: '\n' | '\r\n' | undefined;
  const parse = (text: string, last: boolean) => {
    newline ??= text.includes('\r\n') ? '\r\n' : '\n';
    const r = new Papa.Parser({ delimiter, comments, newline }).parse(text, 0, !last) as { data: string[][]; meta: { cursor: number } };
    carry = last ? '' : text.slice(r.meta.cursor);
    return r.data.filter((rec) => !(rec.length === 1 && rec[0] === ''));
  };
  for await (const chunk of chunks) {
    const records = parse(carry + decoder.decode(chunk, { stream: true }), false);
    if (records.length) yield records;
  }
  const records = parse(carry + decoder.decode(), true);
  if (records.length) yield records;
}

export const parseCsv: PluginDef = {
  name: 'parse_csv',
  doc: 'One row per CSV record, keyed by the header row (values are strings).',
  args: {
    ...fileArgs,
    auto_headers: { type: 'bool', doc: 'The file has no header row: name the columns Col0, Col1...' },
    separator: { type: 'string', doc: 'Field separator', default: ',' },
    comment: { type: 'string', doc: 'Lines starting with this are skipped' },
    columns: { type: 'strings', doc: 'Column names to use instead of the header row' },
  },
  batched: true,
  async *run(call) {
    const { args, scope } = call;
    const log = call.log.bind(call);
    const accessor = accessorOrLog(scope, args.accessor, 'parse_csv', log);
    if (!accessor) return;
    let headers: string[] | null = (args.columns as string[] | undefined)?.length ? (args.columns as string[]) : null;
    const chunks = readChunks(accessor, args.filename, scope);
    try {
      for await (const records of csvRecords(chunks, (args.separator as string | undefined) || ',', (args.comment as string | undefined) || false)) {
        const out: VDict[] = [];
        for (const record of records) {
          if (!headers) {
            if (args.auto_headers !== true) {
              headers = record;
              continue;
            }
            headers = record.map((_, i) => `Col${i}`);
          }
          const row = new VDict();
          headers.forEach((h, i) => {
            if (i < record.length) row.set(h, record[i]);
          });
          out.push(row);
        }
        if (out.length) yield out;
      }
    } catch (e) {
      log('warn', `parse_csv: ${(e as Error).message}`);
    }
  },
};

/** Parses JSON text, logging (and giving null) on a syntax error. */
function parseJsonText(data: Value, callee: string, log: (level: 'warn', m: string) => void): Value {
  const text = textOf(data);
  try {
    return fromJSON(text.trim());
  } catch (e) {
    log('warn', `${callee}: ${(e as Error).message}`);
    return null;
  }
}

export const parseJson: FunctionDef = {
  name: 'parse_json',
  doc: 'Parse a JSON string (objects keep their key order).',
  args: { data: { type: 'any', required: true, doc: 'JSON text' } },
  run: (call) => parseJsonText(call.args.data, 'parse_json', call.log.bind(call)),
};

export const parseJsonArrayFunction: FunctionDef = {
  name: 'parse_json_array',
  doc: 'Parse a JSON array string into a list (NULL when it is not an array).',
  args: { data: { type: 'any', required: true, doc: 'JSON text of an array' } },
  run(call) {
    const { args } = call;
    const log = call.log.bind(call);
    const v = parseJsonText(args.data, 'parse_json_array', log);
    return Array.isArray(v) ? v : null;
  },
};

export const parseJsonArrayPlugin: PluginDef = {
  name: 'parse_json_array',
  doc: 'One row per element of a JSON array (non-objects become {_value}).',
  args: { data: { type: 'any', required: true, doc: 'JSON text of an array' } },
  *run(call) {
    const { args } = call;
    const log = call.log.bind(call);
    const v = parseJsonText(args.data, 'parse_json_array', log);
    if (!Array.isArray(v)) return;
    for (const e of v) yield e instanceof VDict ? e : new VDict([['_value', e]]);
  },
};

/** js-yaml's plain objects as VQL values (dicts in document order, Dates as times). */
function yamlValue(v: unknown): Value {
  return toValue(v);
}

export const parseYaml: FunctionDef = {
  name: 'parse_yaml',
  doc: 'Parse a YAML document (mappings keep their key order; several documents give a list).',
  args: fileArgs,
  async run(call) {
    const { args, scope } = call;
    const log = call.log.bind(call);
    const accessor = accessorOrLog(scope, args.accessor, 'parse_yaml', log);
    if (!accessor) return null;
    let text: string;
    try {
      text = new TextDecoder().decode(await readAll(accessor, args.filename, scope));
    } catch (e) {
      log('warn', `parse_yaml: ${(e as Error).message}`);
      return null;
    }
    try {
      return yamlValue(loadYaml(text));
    } catch (e) {
      try {
        return yamlValue(loadAllYaml(text));
      } catch {
        log('warn', `parse_yaml: ${(e as Error).message}`);
        return null;
      }
    }
  },
};
