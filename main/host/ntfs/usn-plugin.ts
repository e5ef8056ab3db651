/**
 * `parse_usn(device, accessor, mft_filename, usn_filename, start_offset, fast_paths)`:
 * Velociraptor's USN journal parser (vql/parsers/usn.go over go-ntfs's usn.go): one row per
 * change journal record, `{Usn, OSPath, Timestamp, Filename, FileAttributes, Reason,
 * SourceInfo, _FileMFTID, _FileMFTSequence, _ParentMFTID, _ParentMFTSequence, _Links}`.
 *
 * The $J stream comes from `usn_filename` (read through `accessor`) or, without it, from the
 * NTFS volume `device`. Paths are resolved through the MFT: `mft_filename`, else the device's.
 * Both need the NTFS volume reader, given to makeParseUsn as UsnSources; without one (or
 * without an MFT) OSPath and _Links are the record's file name alone.
 */
import type { PluginDef, Scope, Value } from '../../vql/index.ts';
import type { Accessor, FileReader } from '../files/accessors.ts';
import { accessorOrLog } from '../files/read.ts';
import { pathText } from '../files/ospath.ts';
import { errorText, fileError, openOrLog } from '../parsers/common.ts';
import { NtfsError } from './errors.ts';
import { MftFile } from './mft-file.ts';
import { ROOT_ENTRY } from './volume.ts';
import { readUsnBatches, usnLinks, usnRow, type UsnPathResolver } from './usn.ts';

/** Something opened for the call, closed at its end. */
export interface Opened {
  close(): Promise<void>;
}

/** Where the NTFS volume reader plugs in. */
export interface UsnSources {
  /** `device`: the volume's `$Extend/$UsnJrnl:$J` stream. */
  openJournal?(device: Value, accessor: string, scope: Scope): Promise<FileReader>;
  /** A resolver over the volume `device`'s MFT. */
  deviceResolver?(device: Value, accessor: string, scope: Scope, fastPaths: boolean): Promise<UsnPathResolver & Opened>;
  /** A resolver over an $MFT file (`mft_filename`) read through `accessor`. */
  mftResolver?(mft: Value, accessor: Accessor, scope: Scope, fastPaths: boolean): Promise<UsnPathResolver & Opened>;
}

function given(v: Value): boolean {
  return v !== undefined && v !== null && pathText(v) !== '';
}

/** Caches a resolver's answers per (entry, sequence): journals name the same directories over and over. */
function cachedResolver(r: UsnPathResolver, max = 65536): UsnPathResolver {
  const cache = new Map<string, Promise<string[]>>();
  const all = (entry: number, seq: number): Promise<string[]> => {
    const key = `${entry}-${seq}`;
    let hit = cache.get(key);
    if (!hit) {
      if (cache.size >= max) cache.clear();
      hit = r.paths ? r.paths(entry, seq) : r.path(entry, seq).then((p) => (p === null ? [] : [p]));
      cache.set(key, hit);
    }
    return hit;
  };
  return {
    path: async (entry, seq) => (await all(entry, seq))[0] ?? null,
    paths: all,
  };
}

/**
 * A resolver over an $MFT file (the core's MftFile): a directory's path when its entry still
 * has the sequence number the record names (null otherwise, as go-ntfs refuses a reused parent).
 */
export async function mftFileResolver(mft: Value, accessor: Accessor, scope: Scope): Promise<UsnPathResolver & Opened> {
  const reader = await accessor.open(mft, scope);
  try {
    const file = await MftFile.open(reader, accessor.path(mft).toString());
    return {
      async path(entry, seq) {
        if (entry === ROOT_ENTRY) return '';
        const f = await file.file(entry);
        if (!f || (seq !== 0 && f.seq !== seq)) return null;
        const comps = await file.resolver.path(entry);
        return comps ? comps.join('\\') : null;
      },
      close: () => reader.close(),
    };
  } catch (e) {
    await reader.close().catch(() => {});
    throw e;
  }
}

/**
 * parse_usn over the given NTFS volume reader hooks. By default mft_filename is read with the
 * core's MftFile; a device (its journal and MFT) needs openJournal / deviceResolver.
 */
export function makeParseUsn(sources: UsnSources = { mftResolver: mftFileResolver }): PluginDef {
  return {
    name: 'parse_usn',
    doc:
      'Parse the NTFS USN change journal ($Extend/$UsnJrnl:$J): one row per record {Usn, OSPath, Timestamp, Filename, FileAttributes, ' +
      'Reason, SourceInfo, _FileMFTID, _FileMFTSequence, _ParentMFTID, _ParentMFTSequence, _Links}. Paths come from the MFT ' +
      '(mft_filename or the device); without one, OSPath is the file name alone.',
    args: {
      device: { type: 'any', doc: 'The NTFS volume (a device like \\\\.\\C: or an image); optional when usn_filename is given' },
      accessor: { type: 'string', doc: 'How to read device, mft_filename and usn_filename', default: 'auto' },
      mft_filename: { type: 'any', doc: 'An $MFT file to resolve paths with' },
      usn_filename: { type: 'any', doc: 'A $J stream (extracted, or through the ntfs accessor) to parse' },
      start_offset: { type: 'int', doc: 'Where in $J to start (a Usn of an earlier run)', default: '0' },
      fast_paths: { type: 'bool', doc: 'Resolve paths faster but less accurately (passed to the MFT path resolver)' },
    },
    batched: true,
    async *run(call) {
      const { args, scope, signal } = call;
      const log = (level: 'error' | 'warn' | 'info' | 'debug', m: string) => call.log(level, m);
      const accessorName = args.accessor === undefined || args.accessor === null || args.accessor === '' ? 'auto' : String(args.accessor);
      const accessor = accessorOrLog(scope, accessorName, 'argument accessor', (l, m) => log(l, m));
      if (!accessor) return;
      const fastPaths = args.fast_paths === true;
      const device = args.device;
      const opened: Opened[] = [];
      let journal: FileReader | null = null;
      let what = '';
      try {
        if (given(args.usn_filename)) {
          what = fileError('usn_filename', accessor, args.usn_filename!, '');
          journal = await openOrLog('usn_filename', accessor, args.usn_filename!, scope, log);
          if (!journal) return;
        } else if (given(device)) {
          what = `device=${pathText(device!)}: `;
          if (!sources.openJournal) {
            log('error', `${what}reading the journal of a device needs the NTFS volume reader, which is not available: give usn_filename`);
            return;
          }
          try {
            journal = await sources.openJournal(device!, accessorName, scope);
          } catch (e) {
            log('error', `${what}cannot open $Extend/$UsnJrnl:$J: ${errorText(e)}`);
            return;
          }
        } else {
          log('error', 'one of usn_filename or device is required');
          return;
        }
        opened.push(journal);

        let resolver: UsnPathResolver | null = null;
        if (given(args.mft_filename)) {
          if (sources.mftResolver) {
            try {
              const r = await sources.mftResolver(args.mft_filename!, accessor, scope, fastPaths);
              opened.push(r);
              resolver = r;
            } catch (e) {
              log('warn', fileError('mft_filename', accessor, args.mft_filename!, `cannot read: ${errorText(e)}: paths are not resolved (OSPath is the file name)`));
            }
          } else {
            log('warn', 'mft_filename: path resolution needs the NTFS MFT reader, which is not available: OSPath is the file name');
          }
        } else if (given(device)) {
          if (sources.deviceResolver) {
            try {
              const r = await sources.deviceResolver(device!, accessorName, scope, fastPaths);
              opened.push(r);
              resolver = r;
            } catch (e) {
              log('warn', `device=${pathText(device!)}: cannot read the MFT: ${errorText(e)}: paths are not resolved (OSPath is the file name)`);
            }
          } else {
            log('warn', 'device: path resolution needs the NTFS volume reader, which is not available: OSPath is the file name');
          }
        } else {
          log('debug', 'no mft_filename or device: paths are not resolved (OSPath is the file name)');
        }
        if (resolver) resolver = cachedResolver(resolver);

        const batches = readUsnBatches(journal, {
          startOffset: Number(args.start_offset ?? 0),
          warn: (m) => log('warn', `${what}${m}`),
          signal,
          where: '$J',
        });
        let resolveWarned = false;
        for await (const batch of batches) {
          const rows: Value[] = [];
          for (const rec of batch) {
            let links: string[];
            if (!resolver) links = [rec.filename];
            else {
              try {
                links = await usnLinks(rec, resolver);
              } catch (e) {
                if (!resolveWarned) {
                  resolveWarned = true;
                  log('warn', `${what}resolving the path of MFT entry ${rec.parentEntry}: ${errorText(e)}`);
                }
                links = [`<Err>\\<Parent ${rec.parentEntry}-${rec.parentSeq}>\\${rec.filename}`];
              }
            }
            rows.push(usnRow(rec, links));
          }
          yield rows;
          if (signal.aborted) return;
        }
      } catch (e) {
        if (!signal.aborted) log('error', `${what}${e instanceof NtfsError ? e.message : errorText(e)}`);
      } finally {
        for (const o of opened.reverse()) await o.close().catch(() => {});
      }
    },
  };
}

/** parse_usn without the device hooks: usn_filename, paths from mft_filename. */
export const parseUsn: PluginDef = makeParseUsn();
