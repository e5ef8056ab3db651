/**
 * A file of the volume as one object: its base MFT record plus the attributes its
 * $ATTRIBUTE_LIST places in extension records, with its $STANDARD_INFORMATION and
 * $FILE_NAME values decoded, and the go-ntfs inode strings (`46-128-0`) of its attributes.
 */
import { NtfsError } from './errors.ts';
import {
  ATTR_ATTRIBUTE_LIST, ATTR_DATA, ATTR_FILE_NAME, ATTR_INDEX_ROOT, ATTR_STANDARD_INFORMATION,
  decodeAttributeList, decodeStandardInformation, type Attribute, type StandardInformation,
} from './attributes.ts';
import { decodeFileName, type FileNameAttr } from './filename-attr.ts';
import type { MftRecord } from './record.ts';

export interface FileEntry {
  readonly entry: number;
  readonly seq: number;
  readonly inUse: boolean;
  readonly isDir: boolean;
  readonly linkCount: number;
  readonly lsn: bigint;
  /** The base record of an extension record read alone (parse_mft); 0 or absent for a base record. */
  readonly baseEntry?: number;
  readonly attributes: readonly Attribute[];
  readonly si: StandardInformation | null;
  readonly fileNames: readonly FileNameAttr[];
}

/** The attribute list of a record, read by `readValue` when it is not resident. */
export type ValueReader = (pieces: readonly Attribute[]) => Promise<Uint8Array>;

/**
 * Gathers the attributes of the file whose base record is `base`: the record's own, and those
 * the attribute list places in other records (each read once, checked to belong to this file).
 */
export async function gatherFile(base: MftRecord, readRecord: (entry: number) => Promise<MftRecord>, readValue: ValueReader, where: string): Promise<FileEntry> {
  let attributes: Attribute[] = [...base.attributes];
  const list = base.attributes.find((a) => a.type === ATTR_ATTRIBUTE_LIST);
  if (list) {
    const w = `${where}, MFT entry ${base.entry}, $ATTRIBUTE_LIST`;
    const items = decodeAttributeList(await readValue([list]), w);
    const others = [...new Set(items.map((i) => i.entry).filter((e) => e !== base.entry))];
    if (others.length > 4096) throw new NtfsError(`$ATTRIBUTE_LIST names ${others.length} records`, w);
    for (const e of others) {
      const ext = await readRecord(e);
      if (ext.baseEntry !== base.entry) throw new NtfsError(`extension record ${e} belongs to entry ${ext.baseEntry}, not ${base.entry}`, w);
      attributes.push(...ext.attributes.filter((a) => a.type !== ATTR_ATTRIBUTE_LIST));
    }
    attributes = attributes.filter((a) => a.type !== ATTR_ATTRIBUTE_LIST || a.record === base.entry);
  }
  return fileOf(base, attributes, where);
}

/**
 * The file of record `base` holding `attributes` (its own, or gathered from its extension
 * records), its $STANDARD_INFORMATION and $FILE_NAME values decoded.
 */
export function fileOf(base: MftRecord, attributes: readonly Attribute[], where: string): FileEntry {
  const w = `${where}, MFT entry ${base.entry}`;
  const siAttr = attributes.find((a) => a.type === ATTR_STANDARD_INFORMATION && a.resident);
  const fileNames = attributes.filter((a) => a.type === ATTR_FILE_NAME && a.resident).map((a) => decodeFileName(a.value!, w));
  return {
    entry: base.entry, seq: base.seq, inUse: base.inUse, isDir: base.isDir || attributes.some((a) => a.type === ATTR_INDEX_ROOT && a.name === '$I30'),
    linkCount: base.linkCount, lsn: base.lsn, attributes,
    si: siAttr ? decodeStandardInformation(siAttr.value!, w) : null, fileNames,
  };
}

/** The pieces of the attribute of `type` named `name` (several when split over records), first VCN first. */
export function attributePieces(f: FileEntry, type: number, name: string): Attribute[] {
  return f.attributes.filter((a) => a.type === type && a.name === name).sort((a, b) => a.lowVcn - b.lowVcn);
}

/** The pieces of the attribute with `type` and `id` (and every piece with its type and name). */
export function attributeById(f: FileEntry, type: number, id: number): Attribute[] {
  const a = f.attributes.find((x) => x.type === type && x.id === id);
  return a ? attributePieces(f, type, a.name) : [];
}

/** The $DATA stream names of a file ('' for the unnamed one), each once. */
export function streamNames(f: FileEntry): string[] {
  return [...new Set(f.attributes.filter((a) => a.type === ATTR_DATA).map((a) => a.name))];
}

/** The name go-ntfs shows for a file: its Win32 (or POSIX) name, else its DOS name. */
export function bestName(f: Pick<FileEntry, 'fileNames'>): FileNameAttr | undefined {
  return f.fileNames.find((n) => n.nameType === 'Win32' || n.nameType === 'DOS+Win32')
    ?? f.fileNames.find((n) => n.nameType === 'POSIX') ?? f.fileNames[0];
}

/** The size go-ntfs gives a file: its unnamed $DATA's real size (0 for a directory). */
export function dataSize(f: FileEntry, stream = ''): number {
  const first = attributePieces(f, ATTR_DATA, stream)[0];
  return first ? first.realSize : 0;
}

/** The inode string of an attribute: `<entry>-<type>-<id>`. */
export function inodeOf(entry: number, a: Attribute): string {
  return `${entry}-${a.type}-${a.id}`;
}

/** The inode string go-ntfs gives a file (its $DATA or, for a directory, its $INDEX_ROOT). */
export function fileInode(f: FileEntry, stream = ''): string {
  const a = attributePieces(f, ATTR_DATA, stream)[0]
    ?? (stream === '' ? f.attributes.find((x) => x.type === ATTR_INDEX_ROOT && x.name === '$I30') ?? f.attributes.find((x) => x.type === ATTR_INDEX_ROOT) : undefined);
  return a ? inodeOf(f.entry, a) : `${f.entry}`;
}

/** Parses an inode string `46`, `46-128` or `46-128-0`. */
export function parseInode(s: string): { entry: number; type?: number; id?: number } | null {
  const m = /^(\d+)(?:-(\d+)(?:-(\d+))?)?$/.exec(s.trim());
  if (!m) return null;
  return { entry: Number(m[1]), type: m[2] === undefined ? undefined : Number(m[2]), id: m[3] === undefined ? undefined : Number(m[3]) };
}
