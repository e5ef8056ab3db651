/**
 * `parse_mft(filename, accessor, prefix, start)`: every entry of a $MFT file as a row, as
 * go-ntfs's MFTHighlight (Velociraptor vql/parsers/ntfs.go): EntryNumber, SequenceNumber,
 * InUse, parents, OSPath (resolved through parents in the same $MFT; a broken chain goes under
 * `$OrphanFiles`), names, sizes, timestomping hints (SI_Lt_FN, USecZeros, Copied) and the
 * $STANDARD_INFORMATION (0x10) and $FILE_NAME (0x30) times. No volume is needed: a copied
 * $MFT works, or `Root + "$MFT"` through the ntfs accessor. A damaged record is one warning.
 */
import { VDict, type PluginDef, type Value } from '../../vql/index.ts';
import { accessorOrLog } from '../files/read.ts';
import { pathText } from '../files/ospath.ts';
import { filetime } from '../registry/raw-reg-accessor.ts';
import { errorText, fileError, openOrLog } from '../parsers/common.ts';
import { ATTR_DATA } from './attributes.ts';
import { bestName, dataSize, type FileEntry } from './file-entry.ts';
import { fileAttributeFlags } from './filename-attr.ts';
import { fileOfRecord, isRecordDamage, MftFile } from './mft-file.ts';
import { isBlankRecord } from './record.ts';
import { ROOT_ENTRY } from './volume.ts';

/** Records read per piece (and rows per batch). */
const CHUNK = 1024;
/** Damaged records reported one by one; past it, only a count at the end. */
const MAX_WARNINGS = 100;

const SECOND = 10_000_000n;

/** The row of one file. */
export async function mftRow(mft: MftFile, f: FileEntry, prefix: readonly string[]): Promise<VDict> {
  const fn = bestName(f);
  const si = f.si;
  const join = (comps: readonly string[]) => (prefix.length ? [...prefix, ...comps].join('\\') : '\\' + comps.join('\\'));
  const osPath = f.entry === ROOT_ENTRY ? join([]) : fn ? join(await mft.resolver.pathOfName(fn)) : '';
  const links: string[] = [];
  if (f.entry !== ROOT_ENTRY) for (const n of f.fileNames) if (n.nameType !== 'DOS') links.push(join(await mft.resolver.pathOfName(n)));
  return new VDict([
    ['EntryNumber', f.entry], ['SequenceNumber', f.seq], ['InUse', f.inUse],
    ['ParentEntryNumber', fn?.parentEntry ?? 0], ['ParentSequenceNumber', fn?.parentSeq ?? 0],
    ['OSPath', osPath], ['FileName', fn?.name ?? ''], ['FileNames', f.fileNames.map((n) => n.name)],
    ['Links', links], ['FileNameTypes', f.fileNames.map((n) => n.nameType).join(',')],
    ['FileSize', f.isDir ? 0 : dataSize(f)], ['ReferenceCount', f.linkCount], ['IsDir', f.isDir],
    ['HasADS', f.attributes.some((a) => a.type === ATTR_DATA && a.name !== '')],
    ['SI_Lt_FN', !!(si && fn && si.created < fn.created)],
    ['USecZeros', !!(si && (si.created % SECOND === 0n || si.modified % SECOND === 0n))],
    ['Copied', !!(si && si.created > si.modified)],
    ['SIFlags', si ? fileAttributeFlags(si.flags).join(',') : ''],
    ['Created0x10', si ? filetime(si.created) : null], ['Created0x30', fn ? filetime(fn.created) : null],
    ['LastModified0x10', si ? filetime(si.modified) : null], ['LastModified0x30', fn ? filetime(fn.modified) : null],
    ['LastRecordChange0x10', si ? filetime(si.mftModified) : null], ['LastRecordChange0x30', fn ? filetime(fn.mftModified) : null],
    ['LastAccess0x10', si ? filetime(si.accessed) : null], ['LastAccess0x30', fn ? filetime(fn.accessed) : null],
    ['LogFileSeqNum', Number(f.lsn)],
  ]);
}

export const parseMft: PluginDef = {
  name: 'parse_mft',
  doc: 'Parse a $MFT file: one row per MFT entry (in use or not) as go-ntfs MFTHighlight: EntryNumber, SequenceNumber, InUse, ' +
    'OSPath, FileName, FileNames, Links, FileSize, IsDir, HasADS, SI_Lt_FN, USecZeros, Copied, SIFlags, the 0x10 and 0x30 times...',
  args: {
    filename: { type: 'any', required: true, doc: 'The $MFT file (a copy, or Root + "$MFT" with accessor ntfs)' },
    accessor: { type: 'string', doc: 'How to read it', default: 'auto' },
    prefix: { type: 'any', doc: 'Path components put before each OSPath (e.g. the device)' },
    start: { type: 'int', doc: 'The first entry to read', default: '0' },
  },
  batched: true,
  async *run(call) {
    const { args, scope, signal } = call;
    const log = call.log.bind(call);
    const accessor = accessorOrLog(scope, args.accessor, 'argument accessor', log);
    if (!accessor) return;
    const filename = args.filename;
    const where = (m: string) => fileError('filename', accessor, filename, m);
    const prefix = (Array.isArray(args.prefix) ? args.prefix : args.prefix ? [args.prefix] : []).map((c: Value) => pathText(c));
    const reader = await openOrLog('filename', accessor, filename, scope, log);
    if (!reader) return;
    try {
      const mft = await MftFile.open(reader, accessor.path(filename).toString());
      const total = reader.size === null ? Infinity : Math.floor(reader.size / mft.recordSize);
      let damaged = 0;
      // Names and streams in extension records (a file with many hard links or streams) join their base's row.
      const extensions = reader.size === null ? new Map<number, number[]>() : await mft.extensionMap(total, signal);
      for (let first = Math.max(0, Number(args.start ?? 0)); first < total; first += CHUNK) {
        if (signal.aborted) return;
        const bytes = await mft.chunk(first, CHUNK);
        const n = Math.floor(bytes.length / mft.recordSize);
        const files: FileEntry[] = [];
        for (let i = 0; i < n; i++) {
          const rec = new Uint8Array(bytes.subarray(i * mft.recordSize, (i + 1) * mft.recordSize));
          if (isBlankRecord(rec)) continue;
          try {
            let f = fileOfRecord(rec, first + i, mft.name);
            if (f.baseEntry) continue; // an extension of another entry
            const exts = extensions.get(f.entry);
            if (exts) f = await mft.withExtensions(f, exts);
            mft.remember(f);
            files.push(f);
          } catch (e) {
            if (!isRecordDamage(e)) throw e;
            if (++damaged <= MAX_WARNINGS) log('warn', where(e.message.replace(/^ntfs: /, '')));
          }
        }
        const rows: VDict[] = [];
        for (const f of files) rows.push(await mftRow(mft, f, prefix));
        if (rows.length) yield rows;
        if (n < CHUNK) break;
      }
      if (damaged > MAX_WARNINGS) log('warn', where(`${damaged} damaged records in all (the first ${MAX_WARNINGS} reported)`));
    } catch (e) {
      if (!signal.aborted) log('error', where(errorText(e)));
    } finally {
      await reader.close().catch(() => {});
    }
  },
};
