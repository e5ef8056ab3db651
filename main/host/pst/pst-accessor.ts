/**
 * The `pst` accessor: the attachments of an Outlook PST file as files, addressed by a pathspec
 * whose delegate names the PST and whose Path is an attachment's Path as parse_pst() gives it
 * (`/<message nid>/<attachment nid>/<name>`; the name is not needed to find it):
 *
 *     read_file(accessor="pst", filename=pathspec(DelegatePath="/case/x.pst", Path="/2097188/32869/report.txt"))
 *
 * The PST's header is read once per query (and again when the file changes), its B-tree pages
 * kept with it, so a stat() and an open() of each attachment (what upload() does) do not parse
 * it again; each open finds the nodes that lead to the attachment, whose bytes are read block by
 * block as they are asked for. The file is not held open between reads (IdleReader).
 */
import { constants } from 'node:fs';
import { VDict, type Registry, type Scope } from '../../vql/index.ts';
import { NotFound, registerAccessor, type Accessor, type FileReader } from '../files/accessors.ts';
import { FileMode, type FileStat } from '../files/fileinfo.ts';
import { OSPath, pathText } from '../files/ospath.ts';
import { delegateOf, keptContainer } from '../files/delegate.ts';
import { IdleReader } from '../files/idle-reader.ts';
import { PstError, PstFile } from './ndb.ts';
import { PstMessages } from './messaging.ts';

const NAME = 'pst';
const FILE_MODE = FileMode.fromPosix(constants.S_IFREG | 0o644);
const KEPT = Symbol('pst-files');

function pstPath(filename: unknown): OSPath {
  if (filename instanceof OSPath) return filename;
  return OSPath.parse(pathText(filename as never), 'pathspec');
}

/** The message and attachment nids a path names. */
function ids(p: OSPath): { message: number; attachment: number } {
  const parts = p.components.filter((c) => c !== '' && c !== '.');
  const [m, a] = parts;
  if (!m || !a || !/^\d+$/.test(m) || !/^\d+$/.test(a)) {
    throw new NotFound(`${NAME} accessor: ${JSON.stringify(p.path || '/')} is not an attachment path (/<message nid>/<attachment nid>/<name>, as parse_pst's Attachments give it)`);
  }
  return { message: Number(m), attachment: Number(a) };
}

async function openAttachment(filename: unknown, scope: Scope | undefined) {
  if (!scope) throw new Error(`${NAME} accessor: needs the query's scope`);
  const p = pstPath(filename);
  const d = delegateOf(p, scope, NAME, 'names no PST file: give a pathspec, e.g. pathspec(DelegatePath="/case/x.pst", Path=Attachment.Path)');
  const { message, attachment } = ids(p);
  try {
    const pst = await keptContainer(scope, KEPT, p, d, async () => {
      const first = await d.accessor.open(d.target, scope);
      const reader = new IdleReader(() => d.accessor.open(d.target, scope), first.size, first);
      try {
        return await PstFile.open(reader);
      } catch (e) {
        await reader.close();
        throw e;
      }
    }, { size: 4, recheckMs: 1000 });
    const att = await new PstMessages(pst).attachment(message, attachment);
    return { p, att };
  } catch (e) {
    if (e instanceof PstError) throw new Error(`${NAME} accessor: ${pathText(d.target as never)}: ${e.message}`);
    throw e;
  }
}

function statOf(p: OSPath, size: number): FileStat {
  return {
    path: p, fullPath: p.toString(), size, mode: FILE_MODE, isDir: false, isLink: false,
    mtime: null, atime: null, ctime: null, btime: null, data: new VDict(),
  };
}

export const pstAccessor: Accessor = {
  name: NAME,
  doc: 'Attachments of an Outlook PST file (a pathspec: DelegateAccessor/DelegatePath name the PST, Path an attachment\'s Path from parse_pst)',
  path: pstPath,
  async open(filename, scope): Promise<FileReader> {
    const { att } = await openAttachment(filename, scope);
    // The PST is the query's (kept, closed when idle): closing an attachment leaves it.
    return { size: att.size, read: (o, n) => att.read(o, n), close: async () => {} };
  },
  async lstat(p, scope) {
    const { att } = await openAttachment(p, scope);
    return statOf(p, att.size);
  },
  async stat(p, scope) {
    return pstAccessor.lstat!(p, scope);
  },
};

export function registerPstAccessor(registry: Registry): void {
  registerAccessor(registry, pstAccessor);
}
