/**
 * `write_csv(filename=, accessor=, query=)` and `write_jsonl(filename=, accessor=, query=,
 * buffer_size=, max_time=)` (Velociraptor's plugins of the same names): run `query`, write
 * each row to a file of this machine and pass the rows on unchanged, after they are written.
 *
 * - CSV: the first row's columns are the header (later rows are written under those columns:
 *   a missing one is empty, an extra one left out), cells in Velociraptor's encoding and
 *   quoting, as the collector writes its day files (collector/csv-file.ts). JSONL: one JSON
 *   object per line (toJSON, as `vql query --format jsonl`).
 * - The file is created or truncated at the start and closed when the query ends or is
 *   cancelled (LIMIT, Ctrl-C). Writes are buffered and flushed when `buffer_size` bytes are
 *   waiting or `max_time` seconds after the first waiting row (write_jsonl: 64 KiB and 10 s,
 *   Velociraptor's flush period; write_csv has no such args: 64 KiB and 1 s), so the file of an
 *   event query can be read while it runs.
 * - Only `file` / `auto` (this machine's files) can be written; other accessors are an error.
 * - Writing outside the run's temp folder needs the opt-in of copy() (`allowExecve`), checked
 *   the same way (write-rule.ts: `openForWriting`).
 */
import type { FileHandle } from 'node:fs/promises';
import { VDict, openArgQuery, toJSON, type PluginCall, type PluginDef, type Value } from '../../vql/index.ts';
import { asStream } from '../../vql/eval/stream.ts';
import { normalizeRow } from '../../vql/eval/normalize.ts';
import { headerLine, rowLines } from '../../collector/csv-file.ts';
import { openForWriting, unwritableAccessor } from './write-rule.ts';

const DEFAULT_BUFFER = 64 * 1024;
const JSONL_MAX_TIME_S = 10;
const CSV_MAX_TIME_S = 1;

/** Text appended to a file, written when `bufferSize` bytes wait or `maxTimeMs` after the first waiting text. */
class BufferedFile {
  private parts: string[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The writes so far, one after another. */
  private written: Promise<void> = Promise.resolve();
  private failure: Error | null = null;

  constructor(private readonly file: FileHandle, private readonly bufferSize: number, private readonly maxTimeMs: number) {}

  async add(text: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (text === '') return;
    this.parts.push(text);
    this.size += Buffer.byteLength(text);
    if (this.size >= this.bufferSize) return this.flush();
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush().catch(() => {}), this.maxTimeMs);
      this.timer.unref();
    }
  }

  /** Writes what waits; rejects when this or an earlier write failed. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.parts.length) {
      const data = this.parts.join('');
      this.parts = [];
      this.size = 0;
      this.written = this.written.then(
        () => (this.failure ? undefined : this.file.writeFile(data)),
      ).catch((e: Error) => {
        this.failure ??= e;
      });
    }
    return this.written.then(() => {
      if (this.failure) throw this.failure;
    });
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.file.close();
    }
  }
}

interface Format {
  /** A fresh encoder for one file: rows (normalized) to text. */
  encoder(): (rows: VDict[]) => string;
  bufferSize(args: PluginCall['args']): number;
  maxTimeMs(args: PluginCall['args']): number;
}

function sameColumns(row: VDict, columns: readonly string[]): boolean {
  if (row.map.size !== columns.length) return false;
  let i = 0;
  for (const k of row.map.keys()) if (k !== columns[i++]) return false;
  return true;
}

/** `row` under the header's columns: a missing one is null, an extra one left out. */
function project(row: VDict, columns: readonly string[]): VDict {
  const d = new VDict();
  for (const c of columns) {
    const v = row.get(c);
    d.map.set(c, typeof v === 'symbol' ? null : v);
  }
  return d;
}

const csvFormat: Format = {
  encoder() {
    let columns: string[] | null = null;
    return (rows) => {
      if (rows.length === 0) return '';
      let head = '';
      if (!columns) {
        columns = rows[0]!.keys();
        head = headerLine(columns);
      }
      const cols = columns;
      return head + rowLines(rows.map((r) => (sameColumns(r, cols) ? r : project(r, cols))));
    };
  },
  bufferSize: () => DEFAULT_BUFFER,
  maxTimeMs: () => CSV_MAX_TIME_S * 1000,
};

const jsonlFormat: Format = {
  encoder() {
    return (rows) => {
      let s = '';
      for (const r of rows) s += toJSON(r) + '\n';
      return s;
    };
  },
  bufferSize: (args) => (Number(args.buffer_size ?? 0) > 0 ? Number(args.buffer_size) : DEFAULT_BUFFER),
  maxTimeMs: (args) => (Number(args.max_time ?? 0) > 0 ? Number(args.max_time) : JSONL_MAX_TIME_S) * 1000,
};

async function* writeRows(call: PluginCall, allowed: boolean, format: Format): AsyncGenerator<Value[]> {
  const { args, signal } = call;
  const log = call.log.bind(call);
  const bad = unwritableAccessor(args.accessor);
  if (bad) {
    log('error', bad);
    return;
  }
  let path: string;
  let out: BufferedFile;
  try {
    const opened = await openForWriting(call.scope, allowed, args.filename);
    path = opened.path;
    out = new BufferedFile(opened.file, format.bufferSize(args), format.maxTimeMs(args));
  } catch (e) {
    log('error', (e as Error).message);
    return;
  }
  const scope = call.scope.withSignal(signal);
  const encode = format.encoder();
  let failed = false;
  try {
    for await (const batch of asStream(openArgQuery(args.query, scope))) {
      const rows: VDict[] = [];
      for (const row of batch) {
        const n = normalizeRow(row, scope);
        rows.push(n instanceof Promise ? await n : n);
      }
      await out.add(encode(rows));
      yield batch;
      if (signal.aborted) return;
    }
  } catch (e) {
    failed = true;
    if (!signal.aborted) log('error', `${path}: ${(e as Error).message}`);
  } finally {
    // A failed write is reported once (close() rejects with it again).
    await out.close().catch((e: Error) => failed || log('error', `${path}: ${e.message}`));
  }
}

const fileArgs = {
  filename: { type: 'any', required: true, doc: 'The file to write: a path of this machine (created or truncated)' },
  accessor: { type: 'string', doc: 'Only file (or auto): the files of this machine', default: 'auto' },
  query: { type: 'query', required: true, doc: 'The rows to write' },
} as const;

export function writeCsvPlugin(allowed: boolean): PluginDef {
  return {
    name: 'write_csv',
    doc: 'Run query, write its rows to a CSV file (header from the first row) and pass them on. Outside the query\'s temp folder it needs --allow-execve.',
    batched: true,
    args: fileArgs,
    run: (call) => writeRows(call, allowed, csvFormat),
  };
}

export function writeJsonlPlugin(allowed: boolean): PluginDef {
  return {
    name: 'write_jsonl',
    doc: 'Run query, write its rows to a JSONL file (one JSON object per line) and pass them on. Outside the query\'s temp folder it needs --allow-execve.',
    batched: true,
    args: {
      ...fileArgs,
      buffer_size: { type: 'int', doc: 'Bytes buffered before they are written', default: '65536' },
      max_time: { type: 'int', doc: 'Seconds after which buffered rows are written', default: '10' },
    },
    run: (call) => writeRows(call, allowed, jsonlFormat),
  };
}
