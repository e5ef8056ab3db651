/**
 * `leveldb(file, accessor)`: Velociraptor's plugin that lists a LevelDB database (Chrome's
 * Session Storage and Local Storage, Electron apps' stores...): one row per live key, in
 * bytewise key order, with `Key` and `Value` as strings holding the raw bytes (not valid
 * UTF-8: byte strings, which utf16(), hex encoding and regexes read as bytes).
 *
 * Like Velociraptor's (goleveldb opened read-only), only the live state is listed: the
 * newest value of each key, deleted keys hidden, the write-ahead log included. The database
 * is read here without goleveldb: nothing is written and the LOCK file is not taken, so a
 * database that the browser holds open can be read.
 *
 * Differences from Velociraptor, for forensic copies: a missing or corrupt CURRENT or
 * MANIFEST does not stop the listing (every table and log of the folder is read, and the log
 * says so); a corrupt block or log record is skipped with a warning instead of failing the
 * whole database; a database ordered by another comparator (IndexedDB's idb_cmp1) is listed
 * in bytewise order instead of refused.
 */
import { VBytes, VDict, type PluginDef } from '../../vql/index.ts';
import { accessorOrLog } from '../files/read.ts';
import { pathText } from '../files/ospath.ts';
import { fileLabel } from '../parsers/common.ts';
import { NotADatabaseError, readDatabase } from './database.ts';

const DECODER = new TextDecoder('utf-8', { fatal: true });

/** Raw bytes as a VQL string: text when valid UTF-8, else a byte string (a copy: blocks are not kept alive). */
function bytesValue(b: Uint8Array): string | VBytes {
  try {
    return DECODER.decode(b);
  } catch {
    return new VBytes(b.slice());
  }
}

export const leveldb: PluginDef = {
  name: 'leveldb',
  doc: 'List the live key/value pairs of a LevelDB database folder (read-only, without taking its lock): one row per key with Key and Value (raw bytes as strings), in key order.',
  args: {
    file: { type: 'any', required: true, doc: 'The database folder (the one holding CURRENT, MANIFEST-*, *.ldb and *.log)' },
    accessor: { type: 'string', doc: 'How to read it (file, auto, zip...)', default: 'auto' },
  },
  batched: true,
  async *run(call) {
    const { args, scope, signal } = call;
    const log = call.log.bind(call);
    const accessor = accessorOrLog(scope, args.accessor, 'leveldb', log);
    if (!accessor) return;
    if (args.file === null || args.file === undefined || pathText(args.file) === '') {
      log('error', 'file=: no folder given');
      return;
    }
    const label = fileLabel(accessor, args.file);
    try {
      const dir = accessor.path(args.file);
      const report = (level: 'debug' | 'info' | 'warn' | 'error', file: string, message: string): void => {
        log(level, `file=${label}: ${file ? `${file}: ` : ''}${message}`);
      };
      for await (const pairs of readDatabase({ accessor, dir, scope, signal, report })) {
        yield pairs.map(([k, v]) => new VDict([['Key', bytesValue(k)], ['Value', bytesValue(v)]]));
        if (signal.aborted) return;
      }
    } catch (e) {
      if (e instanceof NotADatabaseError) log('error', `file=${label}: ${e.message}`);
      else log('error', `file=${label}: cannot read the database: ${(e as Error).message ?? String(e)}`);
    }
  },
};
