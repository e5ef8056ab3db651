/**
 * `split_records(filenames, accessor, regex, columns, first_row_is_headers, count,
 * record_regex, buffer_size)`: Velociraptor's splitter of text files into records (by
 * `record_regex`, a line by default) and of records into columns (by `regex`, whitespace
 * runs by default). Values are strings; a short record gets NULL for its missing columns.
 *
 * Files are streamed through a text window (common.ts): memory stays flat whatever the
 * file's size. `buffer_size` is the longest record, in characters: a longer one is cut
 * into pieces of that size, as Velociraptor's read buffer cuts it.
 *
 * Two paths give the same rows: a one-character record separator (`\n`, the default) with a
 * scanned column separator (splitters.ts) is cut with indexOf and split natively in the
 * window; any other pair of patterns is searched match by match. Rows share their column
 * names (RecordRow) rather than each holding a Map, and a row's values are its record's split
 * array. Both paths keep the window under V8's large-object size (WINDOW_CHUNK), which about
 * doubled their speed: well over 100 MB/s for the plugin alone over 100 MB of syslog or mounts
 * lines (scripts/bench-parsers.ts).
 */
import type { PluginDef } from '../../vql/index.ts';
import { accessorOrLog } from '../files/read.ts';
import { RecordRow, RowColumns, TextWindow, errorText, fileError, isIoError, valueList } from './common.ts';
import { finderFor, splitN, type Finder, type Span } from './splitters.ts';

const DEFAULT_BUFFER = 65536;
/**
 * Bytes decoded per refill of the text window. The window is one string, and V8 allocates a
 * string of more than 128 KiB (a one-byte string's characters; a two-byte string's, twice
 * that) in its large-object space, on pages of its own, fresh memory each time: measured on
 * Node 20, decoding 100 MB in 256 KiB pieces took ~370 ms, in 32 KiB pieces ~10 ms, and
 * split_records ran at half its speed. So the window is kept below that size: the fast path's
 * window is a partial record and one chunk; the general path's, with the default buffer_size,
 * at most 64 KiB kept plus one chunk. 32 KiB divides the window's 256 KiB reads (common.ts),
 * so no bytes are carried from one read to the next.
 */
const WINDOW_CHUNK = 32 * 1024;
/** The general path's refill with a larger buffer_size (its window is then large anyway). */
const READ_SIZE = 256 * 1024;
/** Rows handed to the engine per batch. */
const BATCH = 1000;

/** Velociraptor's header names: a repeat gets a running counter, then non-[a-zA-Z0-9] → _. */
export function headerNames(items: readonly string[]): string[] {
  const out: string[] = [];
  let counter = 0;
  for (const item of items) {
    let name = item;
    if (out.includes(item)) name = item + String(++counter);
    out.push(name.replace(/[^a-zA-Z0-9]/g, '_'));
  }
  return out;
}

/** takeRecord's answers when no record is available now. */
const NEED_MORE = 1;
const AT_END = 2;

/** The search state over the current window text. */
interface SearchState {
  search: ((from: number) => Span | null) | null;
  version: number;
  /** The last search: the leftmost match at or after `from` stays valid while `pos` has not passed it. */
  cached: { from: number; m: Span | null } | null;
}

/**
 * The next record of the window, if it can be told now. A separator match must lie within
 * `bufferSize` characters of the record's start, else the record is `bufferSize` characters
 * long; a separator that ends at the window's edge may go on in the next chunk (`\r\n`,
 * `\n+`), so more text is read first.
 */
function takeRecord(win: TextWindow, finder: Finder, bufferSize: number, st: SearchState): string | typeof NEED_MORE | typeof AT_END {
  if (win.remaining === 0) return win.eof ? AT_END : NEED_MORE;
  if (!win.eof && win.remaining <= bufferSize) return NEED_MORE;
  if (st.version !== win.version) {
    st.search = finder.search(win.text);
    st.version = win.version;
    st.cached = null;
  }
  const pos = win.pos;
  let m: Span | null;
  const c = st.cached;
  if (c && c.from <= pos && (c.m === null || c.m[0] >= pos)) m = c.m;
  else {
    m = st.search!(pos);
    st.cached = { from: pos, m };
  }
  if (m && m[1] === m[0]) throw new Error(`record_regex ${JSON.stringify(finder.pattern)} matches the empty string: records cannot be found`);
  if (m && m[1] >= win.text.length && !win.eof) return NEED_MORE;
  if (m && m[1] - pos <= bufferSize) {
    win.pos = m[1];
    return win.text.slice(pos, m[0]);
  }
  if (win.remaining > bufferSize) {
    win.pos = pos + bufferSize;
    return win.text.slice(pos, pos + bufferSize);
  }
  // The file's end: the rest is the last record.
  win.pos = win.text.length;
  return win.text.slice(pos);
}

/** Column names come from the first record: generated, or the record itself (headers). */
type GetColumns = () => RowColumns | null;
type SetColumns = (c: RowColumns) => void;

/**
 * The row of a record's items under the column names: a short record gets NULLs, a long one's
 * extra items are dropped. `items` is the split's fresh array, owned by no one else: it becomes
 * the row's values, resized in place (a record of as many items as columns, the usual case,
 * costs no second array).
 */
function rowOf(columns: RowColumns, items: string[]): RecordRow {
  const n = columns.names.length;
  const values: (string | null)[] = items;
  if (values.length > n) values.length = n;
  else while (values.length < n) values.push(null);
  return new RecordRow(columns, values);
}

/**
 * The general path: records found by searching `recordFinder` (any RE2 pattern), each sliced
 * out of the window and split into columns.
 */
async function* searchedRecords(win: TextWindow, recordFinder: Finder, columnFinder: Finder, count: number, bufferSize: number, headers: boolean, getColumns: GetColumns, setColumns: SetColumns): AsyncGenerator<RecordRow[]> {
  const st: SearchState = { search: null, version: -1, cached: null };
  let batch: RecordRow[] = [];
  for (;;) {
    const record = takeRecord(win, recordFinder, bufferSize, st);
    if (record === AT_END) break;
    if (record === NEED_MORE) {
      if (batch.length >= BATCH) {
        yield batch;
        batch = [];
      }
      // Keep more than buffer_size ahead; a separator at the edge needs one more chunk.
      await win.fill(Math.max(bufferSize + 1, win.remaining + 1));
      continue;
    }
    const items = splitN(columnFinder, record, count);
    let columns = getColumns();
    if (!columns) {
      if (headers) {
        setColumns(new RowColumns(headerNames(items)));
        continue;
      }
      setColumns((columns = new RowColumns(items.map((_, i) => `Column${i}`))));
    }
    batch.push(rowOf(columns, items));
  }
  if (batch.length) yield batch;
}

/**
 * The fast path, for a record separator of one character (`\n` by default, `,`, `\x00`...)
 * and a scanned column separator: records are found with indexOf and split by the column
 * separator in the window, with takeRecord's records: one longer than buffer_size - 1
 * characters before its separator is cut at buffer_size, and the rest of the file is the last
 * record. A one-character separator cannot go on in the next chunk, so a record whose
 * separator is in the window is taken at once: the window keeps only a partial line between
 * reads (no copy of buffer_size characters at each read).
 */
async function* charRecords(win: TextWindow, sep: string, columnFinder: Finder, count: number, bufferSize: number, headers: boolean, getColumns: GetColumns, setColumns: SetColumns): AsyncGenerator<RecordRow[]> {
  const splitRange = columnFinder.splitRange!;
  let batch: RecordRow[] = [];
  // The record at pos is not whole in the window yet: read on.
  let more = false;
  for (;;) {
    if (win.remaining === 0 && win.eof) break;
    if (more || win.remaining === 0) {
      if (batch.length >= BATCH) {
        yield batch;
        batch = [];
      }
      // One more chunk for a record begun at the window's end (the usual case: the window stays
      // small); a record already longer than a chunk is read up to buffer_size in one fill,
      // so that a long one is not copied again at each chunk.
      await win.fill(win.remaining < WINDOW_CHUNK ? win.remaining + 1 : Math.max(bufferSize + 1, win.remaining + 1));
      more = false;
      continue;
    }
    const text = win.text;
    const len = text.length;
    let pos = win.pos;
    let columns = getColumns();
    // The next separator at or after pos (-1: none in this text), as takeRecord's cache:
    // records cut at buffer_size do not search the same stretch again.
    let found = -2;
    while (pos < len && batch.length < BATCH) {
      if (found === -2 || (found >= 0 && found < pos)) found = text.indexOf(sep, pos);
      let next = found;
      let end: number;
      if (next >= 0 && next + 1 - pos <= bufferSize) {
        // A one-character separator is whole once seen: the record is known, whatever follows.
        end = next;
        next += 1;
      } else if (len - pos > bufferSize) {
        end = next = pos + bufferSize;
      } else if (win.eof) {
        end = next = len; // the file's end: the rest is the last record
      } else {
        more = true;
        break;
      }
      const items = splitRange(text, pos, end, count);
      pos = next;
      if (!columns) {
        if (headers) {
          setColumns((columns = new RowColumns(headerNames(items))));
          continue;
        }
        setColumns((columns = new RowColumns(items.map((_, i) => `Column${i}`))));
      }
      batch.push(rowOf(columns, items));
    }
    win.pos = pos;
    if (batch.length >= BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

export const splitRecords: PluginDef = {
  name: 'split_records',
  version: 2,
  doc: 'Parse files into records (by record_regex, one per line by default) split into columns (by regex, whitespace runs by default). Values are strings; missing columns are NULL.',
  args: {
    filenames: { type: 'any', required: true, doc: 'Files to parse, in order' },
    accessor: { type: 'string', doc: 'How to read them: auto (default), file, data, scope...', default: 'auto' },
    regex: { type: 'string', doc: 'RE2 regex splitting a record into columns', default: '\\s+' },
    columns: { type: 'strings', doc: 'Column names (else Column0, Column1... sized by the first record)' },
    first_row_is_headers: { type: 'bool', doc: 'The first record names the columns (repeats numbered, non-alphanumerics become _)' },
    count: { type: 'int', doc: 'Split into at most this many items; the last keeps the rest', default: '0 (unlimited)' },
    record_regex: { type: 'string', doc: 'RE2 regex separating records', default: '\\n' },
    buffer_size: { type: 'int', doc: 'The longest record in characters: longer ones are cut', default: '65536' },
  },
  batched: true,
  async *run(call) {
    const { args, scope, signal } = call;
    const log = call.log.bind(call);
    const accessor = accessorOrLog(scope, args.accessor, 'split_records', log);
    if (!accessor) return;
    const regex = typeof args.regex === 'string' && args.regex !== '' ? args.regex : '\\s+';
    const recordRegex = typeof args.record_regex === 'string' && args.record_regex !== '' ? args.record_regex : '\\n';
    const columnFinder = finderFor(regex, scope, 'split_records: argument regex');
    const recordFinder = finderFor(recordRegex, scope, 'split_records: argument record_regex');
    if (!columnFinder || !recordFinder) return;
    const count = Number(args.count ?? 0) > 0 ? Number(args.count) : -1;
    const bufferSize = Number(args.buffer_size ?? 0) > 0 ? Number(args.buffer_size) : DEFAULT_BUFFER;
    // Column names are decided once, for all the files (Velociraptor stores them on the args).
    let columns: RowColumns | null = (args.columns as string[] | undefined)?.length ? new RowColumns([...(args.columns as string[])]) : null;
    const headers = args.first_row_is_headers === true;

    for (const filename of valueList(args.filenames)) {
      if (signal.aborted) return;
      let reader;
      try {
        reader = await accessor.open(filename, scope);
      } catch (e) {
        log('warn', fileError('filenames', accessor, filename, errorText(e)));
        continue;
      }
      try {
        const fast = recordFinder.char !== undefined && columnFinder.splitRange !== undefined;
        // The general path keeps more than buffer_size in the window (takeRecord): small
        // chunks keep it small with the default size, at the cost of copying the 64 KiB kept at
        // each refill (cheap for a small string); a larger buffer_size reads larger chunks.
        const chunk = fast || bufferSize <= DEFAULT_BUFFER ? WINDOW_CHUNK : Math.max(READ_SIZE, bufferSize);
        const win = new TextWindow(reader, chunk, signal);
        const rows = fast
          ? charRecords(win, recordFinder.char, columnFinder, count, bufferSize, headers, () => columns, (c) => (columns = c))
          : searchedRecords(win, recordFinder, columnFinder, count, bufferSize, headers, () => columns, (c) => (columns = c));
        for await (const batch of rows) {
          yield batch;
          if (signal.aborted) return;
        }
      } catch (e) {
        // A file that cannot be read (a directory, an I/O error) is a warning, as one that cannot be opened.
        log(isIoError(e) ? 'warn' : 'error', fileError('filenames', accessor, filename, errorText(e)));
      } finally {
        await reader.close().catch(() => {});
      }
    }
  },
};

