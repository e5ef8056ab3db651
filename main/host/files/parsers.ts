/**
 * Line-oriented and document parsers over accessors: `parse_lines`, `parse_jsonl`,
 * `parse_csv`, `parse_yaml`, and `parse_json` / `parse_json_array` over strings.
 */
import { load as loadYaml, loadAll as loadAllYaml } from 'js-yaml';
import { VDict, fromJSON, toValue, type FunctionDef, type PluginDef, type Scope, type Value } from '../../vql/index.ts';
import { readAll, readChunks, type Accessor } from './accessors.ts';
import { accessorOrLog } from './read.ts';
import { textOf } from './text.ts';
import { RecordReader, type RecordChunk } from './csv-records.ts';

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
      let n = 0;
      for await (const line of fileLines(accessor, args.filename, scope)) {
        n++;
        if (line.trim() === '') continue;
        let v: Value;
        try {
          v = fromJSON(line);
        } catch {
          log('debug', `parse_jsonl: ${accessor.path(args.filename).toString()} line ${n} is not JSON, skipped: ${line.slice(0, 80)}`);
          continue;
        }
        if (v instanceof VDict) yield v;
      }
    } catch (e) {
      log('warn', `parse_jsonl: ${(e as Error).message}`);
    }
  },
};

/** Ragged-row and quoting warnings logged per parse_csv call before they are only counted. */
const MAX_CSV_WARNINGS = 10;

/**
 * CSV records of a file with their lines (csv-records.ts): `\r\n` or `\n` line ends in any mix, a UTF-8 BOM dropped,
 * a malformed quote reported and its line read as plain text instead of swallowing the file.
 */
async function* csvRecords(chunks: AsyncIterable<Uint8Array>, reader: RecordReader): AsyncGenerator<RecordChunk> {
  const decoder = new TextDecoder();
  for await (const chunk of chunks) {
    const records = reader.push(decoder.decode(chunk, { stream: true }), false);
    if (records.records.length) yield records;
  }
  yield reader.push(decoder.decode(), true);
}

export const parseCsv: PluginDef = {
  name: 'parse_csv',
  doc: 'One row per CSV record, keyed by the header row (values are strings). A short record gets nulls for its missing columns; fields past the header go to `_extra` (a list); each is logged with its line.',
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
    const reader = new RecordReader((args.separator as string | undefined) || ',', { comment: (args.comment as string | undefined) || undefined });
    if (headers) reader.expectedFields = headers.length;
    let warnings = 0;
    const warn = (line: number, message: string) => {
      if (++warnings <= MAX_CSV_WARNINGS) log('warn', `line ${line}: ${message}`);
    };
    try {
      for await (const chunk of csvRecords(readChunks(accessor, args.filename, scope), reader)) {
        const quoted = new Set(chunk.quoteProblems.map((q) => q.index));
        const out: VDict[] = [];
        chunk.records.forEach((record, k) => {
          const line = chunk.lines ? chunk.lines[k]! : chunk.firstLine + k;
          if (quoted.has(k)) warn(line, 'malformed quotes: the line was read with its quotes as plain text');
          if (!headers) {
            headers = args.auto_headers === true ? record.map((_, i) => `Col${i}`) : record;
            reader.expectedFields = headers.length;
            if (args.auto_headers !== true) return;
          }
          if (record.length !== headers.length) warn(line, `${record.length} fields, the header has ${headers.length}`);
          const row = new VDict();
          headers.forEach((h, i) => row.set(h, i < record.length ? record[i] : null));
          if (record.length > headers.length) row.set('_extra', record.slice(headers.length));
          out.push(row);
        });
        if (out.length) yield out;
      }
    } catch (e) {
      log('warn', (e as Error).message);
    }
    if (warnings > MAX_CSV_WARNINGS) log('warn', `${warnings - MAX_CSV_WARNINGS} more malformed records`);
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
