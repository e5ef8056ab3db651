/**
 * Full paths of MFT entries, resolved through the parent references of their $FILE_NAME
 * attributes up to the root (entry 5), as go-ntfs does: a file whose parent chain is broken
 * (a parent that is gone, reused with another sequence number, or a loop) is placed under
 * `$OrphanFiles`. Used by parse_mft (over a bare $MFT), parse_ntfs (Hardlinks, OSPath) and
 * the USN/I30 parsers (resolveEntryPath).
 */
import type { FileNameAttr } from './filename-attr.ts';
import { bestName } from './file-entry.ts';
import { Lru } from '../files/lru.ts';
import { ROOT_ENTRY, type Volume } from './volume.ts';

export const ORPHAN_DIR = '$OrphanFiles';

/** What path resolution needs of an entry: its sequence number and names (null: unreadable). */
export type NamesOf = (entry: number) => Promise<{ seq: number; inUse: boolean; fileNames: readonly FileNameAttr[] } | null>;

/** Deepest path followed (a bound against parent loops). */
const MAX_DEPTH = 512;

export class PathResolver {
  /** Resolved directory paths by entry and sequence number (only finished ones: no waiting on a cycle). */
  private readonly dirs = new Lru<number, readonly string[]>(16384);

  constructor(private readonly namesOf: NamesOf) {}

  /**
   * The components of the directory `entry` (with sequence `seq`), `$OrphanFiles` first when the
   * chain is broken. `chain` holds the entries being resolved below it: meeting one again is a loop.
   */
  private async dirPath(entry: number, seq: number | undefined, chain: Set<number>): Promise<readonly string[]> {
    if (entry === ROOT_ENTRY) return [];
    const key = entry * 65536 + (seq ?? 0);
    const hit = this.dirs.get(key);
    if (hit) return hit;
    const rec = await this.namesOf(entry);
    if (!rec || (seq !== undefined && seq !== 0 && rec.seq !== seq)) return [ORPHAN_DIR];
    const fn = bestName(rec);
    if (!fn) return [ORPHAN_DIR];
    let out: readonly string[];
    if (chain.has(entry) || chain.size > MAX_DEPTH || fn.parentEntry === entry) out = [ORPHAN_DIR, fn.name];
    else {
      chain.add(entry);
      out = [...(await this.dirPath(fn.parentEntry, fn.parentSeq, chain)), fn.name];
      chain.delete(entry);
    }
    this.dirs.set(key, out);
    return out;
  }

  /** The components of the path of one name of a file (`fn`, a $FILE_NAME of it). */
  async pathOfName(fn: FileNameAttr): Promise<string[]> {
    return [...(await this.dirPath(fn.parentEntry, fn.parentSeq, new Set())), fn.name];
  }

  /** The components of the path of `entry` (its Win32 name), or null when it has no name. */
  async path(entry: number): Promise<string[] | null> {
    if (entry === ROOT_ENTRY) return [];
    const rec = await this.namesOf(entry);
    const fn = rec ? bestName(rec) : undefined;
    if (!fn) return null;
    return this.pathOfName(fn);
  }
}

const RESOLVERS = new WeakMap<Volume, PathResolver>();

/** The path resolver of a volume (one per volume: directory paths are kept). */
export function volumeResolver(volume: Volume): PathResolver {
  let r = RESOLVERS.get(volume);
  if (!r) {
    r = new PathResolver(async (e) => {
      try {
        const f = await volume.fileEntry(e);
        return { seq: f.seq, inUse: f.inUse, fileNames: f.fileNames };
      } catch {
        return null;
      }
    });
    RESOLVERS.set(volume, r);
  }
  return r;
}

/**
 * The path inside the volume of MFT entry `entry` (`\`-separated, rooted: `\Windows\notepad.exe`;
 * `\$OrphanFiles\x` when its parents are gone). When `seq` is given and the entry now has
 * another sequence number (it was reused), the path is the orphan one for its current name.
 */
export async function resolveEntryPath(volume: Volume, entry: number, seq?: number): Promise<string> {
  const r = volumeResolver(volume);
  if (seq !== undefined && seq !== 0) {
    const f = await volume.fileEntry(entry).catch(() => null);
    if (!f) return `\\${ORPHAN_DIR}\\${entry}`;
    if (f.seq !== seq) {
      const name = bestName(f)?.name ?? String(entry);
      return `\\${ORPHAN_DIR}\\${name}`;
    }
  }
  const comps = await r.path(entry);
  return '\\' + (comps ?? [ORPHAN_DIR, String(entry)]).join('\\');
}
