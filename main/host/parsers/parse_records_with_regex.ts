/**
 * `parse_records_with_regex(file, regex, accessor, buffer_size)`: one row per regex match
 * over files of any size. The regexes are tried in list order against the buffered text; the
 * first one that matches anywhere gives the row, and the search goes on after its match.
 * Each regex is compiled case-insensitively, as Velociraptor prefixes `(?i)`.
 *
 * Rows: `FullPath`, then every named group of every regex (pre-set to ""), then unnamed
 * groups as g1, g2... when they took part in the match.
 *
 * Each regex searches the text in place, from where the last match ended: `^` and `\A` anchor
 * at the start of the file and `(?m)^` at line starts. (Velociraptor searches a buffer that
 * starts where the last match ended, so there a `^` also matches at that point, even in the
 * middle of a line; searching in place keeps each regex's last result valid while the
 * position has not passed it, which makes several regexes over a large file linear.)
 *
 * The file is streamed through a text window of more than `buffer_size` characters ahead of
 * the search position, and at most one read more (memory stays flat): a record up to
 * `buffer_size` long is always found, one longer than twice that never is.
 * Where Velociraptor drops a buffer that has no match, and so can lose a record that straddles
 * two buffers, the window keeps its last `buffer_size` characters; a match that reaches the
 * window's edge is searched again with more text read, until it ends before the edge or runs
 * past `buffer_size` characters, so a match up to `buffer_size` long is not cut short. The
 * window also keeps the character before the search position, so that `^`, `(?m)^` and `\b`
 * see the file's text there, not the start of a window.
 *
 * The window is refilled WINDOW_CHUNK bytes at a time with the default `buffer_size` (see
 * there): the window string then stays below V8's large-object size.
 *
 * Speed: a pattern outside the engine's native subset that is in one of record-subset.ts's two
 * classes (Linux.Mounts' `(?m)^(?P<Device>[^ ]+) ...`, strings carving's `[ -~]+`) is searched
 * by V8 in linear time, with re2js's exact matches; others run on re2js (about 3 MB/s). When
 * every group is named, rows share their columns (RecordRow).
 */
import { VDict, type PluginDef, type Value } from '../../vql/index.ts';
import type { Regex, RegexMatch } from '../../vql/regex/engine.ts';
import { cachedRegex } from '../../vql/protocols/regex.ts';
import { recordSearcher } from '../../vql/regex/record-subset.ts';
import { accessorOrLog } from '../files/read.ts';
import { RecordRow, RowColumns, TextWindow, errorText, fileError, isIoError, valueList } from './common.ts';

const DEFAULT_BUFFER = 65536;
const BATCH = 1000;
/**
 * Bytes decoded per refill of the window with a `buffer_size` up to the default, as
 * split_records' (split_records.ts): V8 puts a string of more than 128 KiB (one-byte characters;
 * 64K two-byte ones) in its large-object space, fresh memory each time, and decoding and joining
 * such windows cost more than the search. The window is then `buffer_size` characters kept and
 * at most one chunk. A smaller `buffer_size` reads chunks of its size (a record never
 * exceeds twice it); a larger one too (the window is large anyway, and smaller chunks would
 * copy what it keeps more often).
 */
const WINDOW_CHUNK = 32 * 1024;

interface Compiled {
  readonly re: Regex;
  /** A search over the window's text: the linear native one of record-subset.ts, else the regex's. */
  readonly searcher: (s: string) => (from: number) => RegexMatch | null;
  search: ((from: number) => RegexMatch | null) | null;
  /** The last search: the leftmost match at or after `cacheFrom` (null: none in the window; -1: no search yet). */
  cacheFrom: number;
  cacheM: RegexMatch | null;
  /** Each group's column in the shared row (-1: unnamed), when the columns are fixed. */
  slot: number[];
}

export const parseRecordsWithRegex: PluginDef = {
  name: 'parse_records_with_regex',
  doc: 'One row per match of the regexes (case-insensitive, tried in order) over files: FullPath, the named groups (unnamed ones as g1, g2...).',
  args: {
    file: { type: 'any', required: true, doc: 'Files to parse' },
    regex: { type: 'strings', required: true, doc: 'One or more RE2 regexes (compiled with (?i))' },
    accessor: { type: 'string', doc: 'How to read them: auto (default), file, data, scope...', default: 'auto' },
    buffer_size: { type: 'int', doc: 'Characters buffered ahead of the search: the longest record that is always found', default: '65536' },
  },
  batched: true,
  async *run(call) {
    const { args, scope, signal } = call;
    const log = call.log.bind(call);
    const accessor = accessorOrLog(scope, args.accessor, 'parse_records_with_regex', log);
    if (!accessor) return;
    const patterns = (args.regex as string[] | undefined) ?? [];
    const compiled: Compiled[] = [];
    for (const p of patterns) {
      const re = cachedRegex(p, scope, { callee: 'parse_records_with_regex: argument regex' });
      if (!re) return;
      const fast = re.engine === 're2' ? recordSearcher(p, true, re) : null;
      compiled.push({ re, searcher: fast ? fast.searcher : (s) => re.searcher(s), search: null, cacheFrom: -1, cacheM: null, slot: [] });
    }
    if (compiled.length === 0) return;
    // Every named group of every regex, in order, pre-set to "".
    const named: string[] = [];
    for (const { re } of compiled) for (const n of re.groupNames) if (n && !named.includes(n)) named.push(n);
    const bufferSize = Number(args.buffer_size ?? 0) > 0 ? Number(args.buffer_size) : DEFAULT_BUFFER;
    // Without unnamed groups every row has the same columns (FullPath and the named groups):
    // rows share them (RecordRow); an unnamed group is a column only when it took part.
    const fixed = compiled.every(({ re }) => re.groupNames.every((n, g) => g === 0 || n !== ''));
    const columns = new RowColumns(['FullPath', ...named]);
    for (const c of compiled) c.slot = c.re.groupNames.map((n) => (n ? columns.index.get(n)! : -1));

    for (const filename of valueList(args.file)) {
      if (signal.aborted) return;
      let reader;
      try {
        reader = await accessor.open(filename, scope);
      } catch (e) {
        log('warn', fileError('file', accessor, filename, errorText(e)));
        continue;
      }
      const fullPath = accessor.path(filename);
      try {
        const win = new TextWindow(reader, bufferSize <= DEFAULT_BUFFER ? Math.min(bufferSize, WINDOW_CHUNK) : bufferSize, signal);
        /**
         * Reads until `min` characters follow the search position, keeping the character before
         * it (two units for a surrogate pair) as the window's first: a refill then never makes
         * the search position the start of the text, where `^` would match.
         */
        const fill = async (min: number): Promise<void> => {
          const pos = win.pos;
          if (win.eof || win.remaining >= min) return;
          const keep = pos === 0 ? 0 : pos >= 2 && isLow(win.text.charCodeAt(pos - 1)) && isHigh(win.text.charCodeAt(pos - 2)) ? 2 : 1;
          win.pos = pos - keep;
          await win.fill(min + keep);
          win.pos += keep;
        };
        let version = -1;
        let batch: Array<VDict | RecordRow> = [];
        for (;;) {
          if (signal.aborted) return;
          if (!win.eof && win.remaining <= bufferSize) await fill(bufferSize + 1);
          if (win.remaining === 0) break;
          if (version !== win.version) {
            for (const c of compiled) {
              c.search = c.searcher(win.text);
              c.cacheFrom = -1;
            }
            version = win.version;
          }
          const pos = win.pos;
          let c: Compiled | null = null;
          let m: RegexMatch | null = null;
          for (const k of compiled) {
            if (k.cacheFrom >= 0 && k.cacheFrom <= pos && (k.cacheM === null || k.cacheM.index >= pos)) m = k.cacheM;
            else {
              m = k.search!(pos);
              k.cacheFrom = pos;
              k.cacheM = m;
            }
            if (m) {
              c = k;
              break;
            }
          }
          if (!c || !m) {
            if (win.eof) break;
            // Nothing here: keep the tail (a record may start in it) and read on.
            win.discardBefore(Math.max(pos, win.text.length - bufferSize));
            await fill(win.remaining + 1);
            continue;
          }
          const end = m.index + m[0]!.length;
          // A match that reaches the edge may go on in the next chunk: read more, search again,
          // until the window holds more than buffer_size characters from the match's start.
          if (end >= win.text.length && !win.eof && win.text.length - m.index <= bufferSize) {
            await fill(win.remaining + 1);
            continue;
          }
          let row: VDict | RecordRow;
          if (fixed) {
            const values = new Array<Value>(columns.names.length).fill('');
            values[0] = fullPath;
            const slot = c.slot;
            for (let g = 1; g < slot.length; g++) {
              const v = m[g];
              if (v !== undefined) values[slot[g]!] = v;
            }
            row = new RecordRow(columns, values);
          } else {
            row = new VDict([['FullPath', fullPath]]);
            for (const n of named) row.map.set(n, '');
            const names = c.re.groupNames;
            for (let g = 1; g < names.length; g++) {
              const v = m[g];
              if (v === undefined) continue;
              if (names[g]) row.map.set(names[g]!, v);
              else row.map.set(`g${g}`, v);
            }
          }
          batch.push(row);
          if (batch.length >= BATCH) {
            yield batch;
            batch = [];
          }
          // An empty match would not move the search on: step over one character (a whole
          // code point: no search starts inside a character, as in Go).
          const text = win.text;
          win.pos = end > m.index ? end : Math.min(end + ((text.codePointAt(end) ?? 0) > 0xffff ? 2 : 1), text.length);
        }
        if (batch.length) yield batch;
      } catch (e) {
        // A file that cannot be read (a directory, an I/O error) is a warning, as one that cannot be opened.
        log(isIoError(e) ? 'warn' : 'error', fileError('file', accessor, filename, errorText(e)));
      } finally {
        await reader.close().catch(() => {});
      }
    }
  },
};

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;
