/**
 * `unzip(filename=, accessor=, filename_filter=, output_directory=)` (Velociraptor's
 * vql/tools/unzip.go, a plugin): extracts the members of a zip whose names match the regex
 * `filename_filter` (RE2, case-insensitive as VQL regexes are; default: all) into
 * `output_directory`, one row per file written: `OriginalPath` (the member's name), `NewPath`
 * (where it was written), `Size` (bytes written).
 *
 * The zip is read with zip-read.ts (its limits: a member never yields more than its declared
 * size, its checksum is checked). Members whose names would escape the folder (`..`, absolute
 * paths, drive letters, backslashes: the pack importer's zip-slip check, `unsafeEntryName`) are
 * refused with a log line; so are encrypted members and unknown compression methods. Members
 * are written as regular files (never links), without following a link at the file itself.
 * Writing follows copy()'s rule (copy.ts): outside the run's temp folder it needs
 * `allowExecve`; inside it, each file's folder is checked again after links are resolved. The
 * plugin stops when the query is cancelled (a member cut short is removed).
 */
import { mkdir, open, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { VDict, type PluginDef } from '../../vql/index.ts';
import { cachedRegex } from '../../vql/protocols/regex.ts';
import { unsafeEntryName } from '../../artifacts/pack-zip.ts';
import { accessorFor, writeReader, type FileReader } from '../files/accessors.ts';
import { isInside } from '../files/inside.ts';
import { pathText } from '../files/ospath.ts';
import { createFlags, leadsOutOfTemp, outsideTemp } from './write-rule.ts';
import { runState } from './run-files.ts';
import { openZipEntry, readZipDirectory, type ZipEntry } from './zip-read.ts';

/** The zip's reader shared by its members (closed once, by the plugin). */
function shared(r: FileReader): FileReader {
  return { size: r.size, read: (o, l) => r.read(o, l), close: async () => {} };
}

export function unzipPlugin(allowed: boolean): PluginDef {
  return {
    name: 'unzip',
    doc: 'Extract the members of a zip (those whose names match filename_filter) into output_directory: one row per file {OriginalPath, NewPath, Size}. Outside the query\'s temp folder it needs --allow-execve.',
    args: {
      filename: { type: 'any', required: true, doc: 'The zip file (read through accessor)' },
      accessor: { type: 'string', doc: 'How to read the zip (auto, file, zip, data...)', default: 'auto' },
      filename_filter: { type: 'string', doc: 'Extract only members whose names match this regex (RE2, case-insensitive)', default: '.' },
      output_directory: { type: 'string', required: true, doc: 'The folder to extract into (a path of this machine; made if missing)' },
    },
    async *run(call) {
      const { args, scope, signal } = call;
      const log = call.log.bind(call);
      const rawDir = String(args.output_directory ?? '');
      if (!rawDir) {
        log('error', 'output_directory is empty');
        return;
      }
      const outDir = resolve(rawDir);
      const run = runState(scope);
      const outside = outsideTemp(run, allowed, outDir, 'output_directory');
      if (outside) {
        log('error', outside);
        return;
      }
      const re = cachedRegex(String(args.filename_filter ?? '.') || '.', scope, { callee: 'unzip' });
      if (!re) return;
      const name = pathText(args.filename);
      let r: FileReader;
      let entries: ZipEntry[];
      try {
        const accessor = accessorFor(scope, args.accessor);
        r = await accessor.open(args.filename, scope);
      } catch (e) {
        log('error', `${name}: ${(e as Error).message}`);
        return;
      }
      try {
        if (r.size === null) throw new Error('the size of the zip is unknown: a zip must be a file');
        entries = (await readZipDirectory(r, r.size)).entries;
      } catch (e) {
        await r.close();
        log('error', `${name}: ${(e as Error).message}`);
        return;
      }
      try {
        for (const e of entries) {
          if (signal.aborted) return;
          if (e.name.endsWith('/') && e.size === 0) continue; // a folder entry
          if (!re.test(e.name)) continue;
          const unsafe = unsafeEntryName(e.name);
          const dest = join(outDir, e.name);
          if (unsafe || !isInside(outDir, dest)) {
            log('error', `${name}: refusing member '${e.name}': its name ${unsafe ?? 'leads out of the output folder'} (zip-slip)`);
            continue;
          }
          const size = await extract(e, dest);
          if (size !== null) yield new VDict([['OriginalPath', e.name], ['NewPath', dest], ['Size', size]]);
        }
      } finally {
        await r.close();
      }

      /** Writes one member to `dest`; its size, or null after logging why not. */
      async function extract(e: ZipEntry, dest: string): Promise<number | null> {
        let created = false;
        try {
          await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
          const leads = await leadsOutOfTemp(run, allowed, dest, `member '${e.name}':`);
          if (leads) {
            log('error', leads);
            return null;
          }
          const member = await openZipEntry(shared(r), e);
          // Never through a final link, even with leave: a member must not write over what a link points to.
          const out = await open(dest, createFlags(false), 0o600);
          created = true;
          let size: number | null;
          try {
            size = await writeReader(member, out, signal);
          } finally {
            await out.close();
          }
          if (size === null) throw new Error('the query was cancelled');
          return size;
        } catch (err) {
          if (created) await unlink(dest).catch(() => {});
          log('error', `${name}: member '${e.name}' to ${dest}: ${(err as Error).message}`);
          return null;
        }
      }
    },
  };
}
