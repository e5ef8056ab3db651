/**
 * `olevba(file, accessor, max_size)`: Velociraptor's VBA macro extractor (vql/parsers/ole.go
 * over Velocidex's oleparse): one row per VBA module of each file, `{ModuleName, StreamName,
 * Type, Code, Filename}`. A file is an OLE2 compound file (.doc, .xls, .ppt's sidecar
 * projects, a vbaProject.bin) or an OOXML zip (.docm, .xlsm, .pptm), whose `*.bin` members
 * that are compound files are read in turn.
 *
 * Unlike oleparse, the compound file is not loaded whole: `max_size` limits what is held in
 * memory (a zip member, a module's stream and its decompressed source), so a 200 MB
 * document with a small macro is read. A file that is neither is skipped at debug level (an
 * artifact globs every *.doc); a damaged one is an error naming the file, and the query goes on.
 */
import type { PluginDef, Scope, Value } from '../../vql/index.ts';
import { memoryReader, readFull, type Accessor, type FileReader } from '../files/accessors.ts';
import { accessorOrLog } from '../files/read.ts';
import { pathText } from '../files/ospath.ts';
import { errorText, fileError, openOrLog, valueList } from '../parsers/common.ts';
import { openZipEntry, readZipDirectory, ZipReadError } from '../collect/zip-read.ts';
import { CfbError, CfbFile, isCfb } from './cfb.ts';
import { VbaError, vbaModules, vbaStorages, type VbaModule } from './vba.ts';

/** Velociraptor's default max_size for olevba (bytes). */
export const OLEVBA_MAX_SIZE = 100 * 1024 * 1024;

type Log = (level: 'error' | 'warn' | 'info' | 'debug', m: string) => void;

/** The modules of every VBA project in the compound file `reader` holds. */
async function cfbModules(reader: FileReader, label: string, max: number, warn: (m: string) => void): Promise<VbaModule[]> {
  const cfb = await CfbFile.open(reader, label);
  const out: VbaModule[] = [];
  for (const vba of vbaStorages(cfb)) out.push(...(await vbaModules(cfb, vba, max, warn)));
  return out;
}

/** The rows of one file; problems are logged, never thrown. */
async function fileModules(accessor: Accessor, filename: Value, scope: Scope, max: number, log: Log): Promise<VbaModule[]> {
  const where = (m: string) => fileError('file', accessor, filename, m);
  const reader = await openOrLog('file', accessor, filename, scope, log);
  if (!reader) return [];
  const warn = (m: string) => log('warn', where(m));
  try {
    const head = await readFull(reader, 0, 8);
    if (isCfb(head)) return await cfbModules(reader, pathText(filename), max, warn);
    if (head[0] !== 0x50 || head[1] !== 0x4b || head[2] !== 3 || head[3] !== 4) {
      log('debug', where('neither a compound file (OLE2) nor an OOXML zip: no macros'));
      return [];
    }
    if (reader.size === null) throw new Error('its size is unknown: a zip must be a file');
    const out: VbaModule[] = [];
    for (const e of (await readZipDirectory(reader, reader.size)).entries) {
      if (!/\.bin$/i.test(e.name)) continue;
      if (e.size > max) {
        warn(`member ${e.name} is ${e.size} bytes, over max_size ${max}: skipped`);
        continue;
      }
      // openZipEntry closes the reader it reads through: each member gets its own.
      const member = await openZipEntry(await accessor.open(filename, scope), e);
      try {
        const bytes = await readFull(member, 0, e.size);
        if (isCfb(bytes)) out.push(...(await cfbModules(memoryReader(bytes), `${pathText(filename)}:${e.name}`, max, warn)));
      } finally {
        await member.close().catch(() => {});
      }
    }
    return out;
  } catch (e) {
    if (e instanceof CfbError || e instanceof VbaError || e instanceof ZipReadError) log('error', where(e.message));
    else log('error', where(errorText(e)));
    return [];
  } finally {
    await reader.close().catch(() => {});
  }
}

export const olevba: PluginDef = {
  name: 'olevba',
  doc:
    'Extract VBA macros from Office documents: OLE2 files (.doc, .xls, .ppt) and OOXML zips (.docm, .xlsm, .pptm). One row per ' +
    'module {ModuleName, StreamName, Type (Module or Class), Code, Filename}.',
  args: {
    file: { type: 'any', required: true, doc: 'The document (or a list of them)' },
    accessor: { type: 'string', doc: 'How to read it', default: 'auto' },
    max_size: { type: 'int', doc: 'The most bytes held in memory for one stream or zip member', default: String(OLEVBA_MAX_SIZE) },
  },
  async *run(call) {
    const { args, scope, signal } = call;
    const log: Log = (level, m) => call.log(level, m);
    const accessor = accessorOrLog(scope, args.accessor, 'argument accessor', log);
    if (!accessor) return;
    const max = typeof args.max_size === 'number' && args.max_size > 0 ? args.max_size : OLEVBA_MAX_SIZE;
    for (const filename of valueList(args.file)) {
      if (signal.aborted) return;
      for (const m of await fileModules(accessor, filename, scope, max, log)) {
        yield { ...m, Filename: accessor.path(filename) };
      }
    }
  },
};
