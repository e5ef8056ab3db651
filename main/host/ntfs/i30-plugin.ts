/**
 * `parse_ntfs_i30(device, filename, accessor, inode, mft)`: Velociraptor's $I30 parser
 * (vql/parsers/ntfs i30 over go-ntfs's ExtractI30List): one row per entry of a directory's
 * index, live or carved from INDX slack: `{Name, NameType, Size, AllocatedSize, IsSlack,
 * SlackOffset, Mtime, Atime, Ctime, Btime, MFTId}`.
 *
 * Finding the directory's $INDEX_ROOT / $INDEX_ALLOCATION needs the NTFS volume reader, given
 * to makeParseNtfsI30 as an I30Source; the parsing itself is i30.ts.
 */
import { VDict, type PluginDef, type Scope, type Value } from '../../vql/index.ts';
import { errorText } from '../parsers/common.ts';
import { pathText } from '../files/ospath.ts';
import { NtfsError } from './errors.ts';
import { I30_COLUMNS, i30Entries, i30Row } from './i30.ts';

/** A directory's index attributes, as the NTFS volume reader finds them. */
export interface DirectoryIndex {
  /** The $INDEX_ROOT ($I30) attribute body. */
  root: Uint8Array;
  /** The $INDEX_ALLOCATION ($I30) stream, null when the directory has none (a small one). */
  allocation: Uint8Array | null;
  /** The index record size (0: the one in the root). */
  indexRecordSize: number;
  /** Names the directory in messages (device and MFT entry). */
  where: string;
}

/** The call's arguments, as given. */
export interface I30Args {
  device?: Value;
  filename?: Value;
  accessor: string;
  inode?: Value;
  mft?: Value;
}

export interface I30Source {
  /** The index of the directory the arguments name (device + mft/inode, or a filename on the device). */
  directoryIndex(args: I30Args, scope: Scope): Promise<DirectoryIndex>;
}

/** parse_ntfs_i30 over an NTFS volume reader (none: an error naming what is missing). */
export function makeParseNtfsI30(source: I30Source | null = null): PluginDef {
  return {
    name: 'parse_ntfs_i30',
    doc:
      "Parse a directory's $I30 index (live entries, and entries of deleted files carved from INDX slack): one row per entry " +
      '{Name, NameType, Size, AllocatedSize, IsSlack, SlackOffset, Mtime, Atime, Ctime, Btime, MFTId}.',
    args: {
      device: { type: 'any', doc: 'The NTFS volume (a device like \\\\.\\C: or an image)' },
      filename: { type: 'any', doc: 'The directory, as a path on the device' },
      accessor: { type: 'string', doc: 'How to read the device', default: 'auto' },
      inode: { type: 'string', doc: 'The directory as an inode (entry-type-id, e.g. 5-144-1)' },
      mft: { type: 'int', doc: "The directory's MFT entry number" },
    },
    async *run(call) {
      const { args, scope, signal } = call;
      if (!source) {
        call.log('error', 'parse_ntfs_i30 needs the NTFS volume reader, which is not available');
        return;
      }
      const a: I30Args = {
        device: args.device, filename: args.filename, inode: args.inode, mft: args.mft,
        accessor: args.accessor === undefined || args.accessor === null || args.accessor === '' ? 'auto' : String(args.accessor),
      };
      let index: DirectoryIndex;
      try {
        index = await source.directoryIndex(a, scope);
      } catch (e) {
        const what = a.device !== undefined ? `device=${pathText(a.device ?? '')}: ` : '';
        call.log('error', `${what}${e instanceof NtfsError ? e.message : errorText(e)}`);
        return;
      }
      let entries;
      try {
        entries = i30Entries(index.root, index.allocation, index.indexRecordSize, index.where, (m) => call.log('warn', m));
      } catch (e) {
        call.log('error', e instanceof NtfsError ? e.message : errorText(e));
        return;
      }
      for (const e of entries) {
        if (signal.aborted) return;
        const row = i30Row(e);
        yield new VDict(new Map<string, Value>(I30_COLUMNS.map((c) => [c, row[c]])));
      }
    },
  };
}

/** parse_ntfs_i30 without the NTFS volume reader (logs an error). */
export const parseNtfsI30: PluginDef = makeParseNtfsI30();
