/**
 * The NTFS volume reader as the $I30 and USN parsers (i30-plugin.ts, usn-plugin.ts) need it:
 * a directory's index attributes, a volume's `$Extend/$UsnJrnl:$J` stream and a path resolver
 * over its MFT. The volume is named as for parse_ntfs (parse-ntfs.ts's devicePath): a pathspec
 * whose delegate is the image, an image file read with `accessor`, or a remapped device.
 */
import type { Scope, Value } from '../../vql/index.ts';
import { readFull, type FileReader } from '../files/accessors.ts';
import { OSPath } from '../files/ospath.ts';
import { NtfsError } from './errors.ts';
import { ATTR_DATA, ATTR_INDEX_ALLOCATION, ATTR_INDEX_ROOT } from './attributes.ts';
import { attributePieces } from './file-entry.ts';
import { loadVolume, type LoadedVolume } from './open-volume.ts';
import { devicePath, entryOf } from './parse-ntfs.ts';
import { lookupStat } from './raw-ntfs-accessor.ts';
import { volumeResolver } from './paths.ts';
import { ROOT_ENTRY } from './volume.ts';
import type { DirectoryIndex, I30Args, I30Source } from './i30-plugin.ts';
import type { Opened, UsnSources } from './usn-plugin.ts';
import { mftFileResolver } from './usn-plugin.ts';
import type { UsnPathResolver } from './usn.ts';

/** The largest $INDEX_ALLOCATION read whole for parse_ntfs_i30. */
const MAX_INDEX = 256 * 1024 * 1024;

/** The volume a device argument names, and its device path. */
async function openDevice(device: Value, accessor: string, scope: Scope, self: string): Promise<{ v: LoadedVolume; device: OSPath }> {
  const at = devicePath(device, accessor === 'auto' ? 'file' : accessor, scope);
  return { v: await loadVolume(at.device, at.scope ?? scope, self), device: at.device };
}

export const i30Source: I30Source = {
  async directoryIndex(args: I30Args, scope: Scope): Promise<DirectoryIndex> {
    const src = args.device ?? args.filename;
    if (src === undefined || src === null) throw new Error('give device (the volume) and inode, mft or filename');
    const { v, device } = await openDevice(src, args.accessor, scope, 'parse_ntfs_i30');
    const entry = await entryOf({ inode: args.inode, mft: args.mft, filename: args.filename }, v, device, scope, 'parse_ntfs_i30', ROOT_ENTRY);
    const where = `${v.volume.file}, MFT entry ${entry}`;
    const f = await v.volume.fileEntry(entry);
    const root = attributePieces(f, ATTR_INDEX_ROOT, '$I30');
    if (!root.length) throw new NtfsError('not a directory (no $INDEX_ROOT $I30)', where);
    const alloc = attributePieces(f, ATTR_INDEX_ALLOCATION, '$I30');
    let allocation: Uint8Array | null = null;
    if (alloc.length) {
      const size = alloc[0]!.realSize;
      if (size > MAX_INDEX) throw new NtfsError(`$INDEX_ALLOCATION of ${size} bytes is too large`, where);
      allocation = await readFull(v.volume.reader(alloc, `MFT entry ${entry}, $INDEX_ALLOCATION`), 0, size);
    }
    return { root: await v.volume.readValue(root, where), allocation, indexRecordSize: 0, where };
  },
};

export const usnSources: UsnSources = {
  async openJournal(device: Value, accessor: string, scope: Scope): Promise<FileReader> {
    const { v, device: dev } = await openDevice(device, accessor, scope, 'parse_usn');
    const st = await lookupStat('parse_usn', new OSPath(['$Extend', '$UsnJrnl:$J'], 'pathspec', dev.delegate), v, (m) => scope.log('warn', m));
    const pieces = attributePieces(st.f, ATTR_DATA, st.stream);
    if (!pieces.length) throw new NtfsError('$UsnJrnl has no $J stream', v.volume.file);
    return v.volume.reader(pieces, `MFT entry ${st.f.entry}, $DATA:$J`);
  },
  async deviceResolver(device: Value, accessor: string, scope: Scope): Promise<UsnPathResolver & Opened> {
    const { v } = await openDevice(device, accessor, scope, 'parse_usn');
    const r = volumeResolver(v.volume);
    const fileOf = (entry: number, seq: number) => v.volume.fileEntry(entry).then((f) => (seq !== 0 && f.seq !== seq ? null : f), () => null);
    return {
      async path(entry, seq) {
        if (entry === ROOT_ENTRY) return '';
        if (!(await fileOf(entry, seq))) return null;
        const comps = await r.path(entry);
        return comps ? comps.join('\\') : null;
      },
      async paths(entry, seq) {
        if (entry === ROOT_ENTRY) return [''];
        const f = await fileOf(entry, seq);
        if (!f) return [];
        const out: string[] = [];
        for (const fn of f.fileNames) if (fn.nameType !== 'DOS') out.push((await r.pathOfName(fn)).join('\\'));
        return out;
      },
      close: async () => {},
    };
  },
  mftResolver: mftFileResolver,
};
