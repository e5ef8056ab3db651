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
 * The file is streamed through a text window of one to two `buffer_size` reads ahead of the
 * search position (memory stays flat): a record up to `buffer_size` long is always found, one
 * longer than twice that never is. Where Velociraptor drops a buffer that has no
 * match, and so can lose a record that straddles two buffers, the window keeps its last
 * `buffer_size` characters; a match that reaches the window's edge is searched again once
 * more text is read, so it is not cut short.
 */
import { VDict, type PluginDef } from '../../vql/index.ts';
import type { Regex, RegexMatch } from '../../vql/regex/engine.ts';
import { cachedRegex } from '../../vql/protocols/regex.ts';
import { accessorOrLog } from '../files/read.ts';
import { TextWindow, errorText, fileError, isIoError, valueList } from './common.ts';

const DEFAULT_BUFFER = 65536;
const BATCH = 1000;

interface Compiled {
  readonly re: Regex;
  search: ((from: number) => RegexMatch | null) | null;
  /** The last search: the leftmost match at or after `from` (null: none in the window). */
  cache: { from: number; m: RegexMatch | null } | null;
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
      compiled.push({ re, search: null, cache: null });
    }
    if (compiled.length === 0) return;
    // Every named group of every regex, in order, pre-set to "".
    const named: string[] = [];
    for (const { re } of compiled) for (const n of re.groupNames) if (n && !named.includes(n)) named.push(n);
    const bufferSize = Number(args.buffer_size ?? 0) > 0 ? Number(args.buffer_size) : DEFAULT_BUFFER;

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
        // Reads of buffer_size: the window holds between one and two buffers ahead.
        const win = new TextWindow(reader, bufferSize, signal);
        let version = -1;
        let batch: VDict[] = [];
        let extended = false;
        for (;;) {
          if (signal.aborted) return;
          await win.fill(bufferSize + 1);
          if (win.remaining === 0) break;
          if (version !== win.version) {
            for (const c of compiled) {
              c.search = c.re.searcher(win.text);
              c.cache = null;
            }
            version = win.version;
          }
          const pos = win.pos;
          let found: { c: Compiled; m: RegexMatch } | null = null;
          for (const c of compiled) {
            let m: RegexMatch | null;
            if (c.cache && c.cache.from <= pos && (c.cache.m === null || c.cache.m.index >= pos)) m = c.cache.m;
            else {
              m = c.search!(pos);
              c.cache = { from: pos, m };
            }
            if (m) {
              found = { c, m };
              break;
            }
          }
          if (!found) {
            if (win.eof) break;
            // Nothing here: keep the tail (a record may start in it) and read on.
            win.discardBefore(Math.max(pos, win.text.length - bufferSize));
            await win.fill(win.remaining + 1);
            continue;
          }
          const { c, m } = found;
          const end = m.index + m[0]!.length;
          // A match that reaches the edge may go on in the next chunk: read more, search again.
          if (end >= win.text.length && !win.eof && !extended) {
            extended = true;
            await win.fill(win.remaining + 1);
            continue;
          }
          extended = false;
          const row = new VDict([['FullPath', fullPath]]);
          for (const n of named) row.map.set(n, '');
          const names = c.re.groupNames;
          for (let g = 1; g < names.length; g++) {
            const v = m[g];
            if (v === undefined) continue;
            if (names[g]) row.map.set(names[g]!, v);
            else row.map.set(`g${g}`, v);
          }
          batch.push(row);
          if (batch.length >= BATCH) {
            yield batch;
            batch = [];
          }
          // An empty match would not move the search on: step over one character.
          win.pos = end > m.index ? end : Math.min(end + 1, win.text.length);
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
