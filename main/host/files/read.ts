/**
 * Reading files through accessors: `read_file()` (function and plugin), `hash()`, and
 * `stat()` (function and plugin).
 */
import { createHash } from 'node:crypto';
import type { FunctionDef, PluginDef, Scope, Value } from '../../vql/index.ts';
import { VDict } from '../../vql/index.ts';
import { bytesToValue } from '../../vql/values/kinds.ts';
import { accessorFor, readAll, readChunks, type Accessor } from './accessors.ts';
import { fileInfoRow } from './fileinfo.ts';

/** read_file()'s default cap (Velociraptor's 4 MiB). */
const DEFAULT_LENGTH = 4 * 1024 * 1024;

const filenameDoc = 'The file: a path, an OSPath, or (accessor=data) the data itself';
const accessorDoc = 'How to read it: auto (default), file, data, scope, sparse';

/** The accessor named by `name`, or null after logging why not. */
export function accessorOrLog(scope: Scope, name: Value, callee: string, log: (level: 'error', m: string) => void): Accessor | null {
  try {
    return accessorFor(scope, name);
  } catch (e) {
    log('error', `${callee}: ${(e as Error).message}`);
    return null;
  }
}

export const readFileFunction: FunctionDef = {
  name: 'read_file',
  doc: 'Read a file into a string (at most `length` bytes from `offset`).',
  args: {
    filename: { type: 'any', required: true, doc: filenameDoc },
    accessor: { type: 'string', doc: accessorDoc, default: 'auto' },
    offset: { type: 'int', doc: 'Where to start reading', default: '0' },
    length: { type: 'int', doc: 'How many bytes to read at most', default: '4 MiB' },
  },
  async run(call) {
    const { args, scope } = call;
    const log = call.log.bind(call);
    const accessor = accessorOrLog(scope, args.accessor, 'read_file', log);
    if (!accessor) return null;
    const length = Number(args.length ?? 0) > 0 ? Number(args.length) : DEFAULT_LENGTH;
    try {
      return bytesToValue(await readAll(accessor, args.filename, scope, Number(args.offset ?? 0), length));
    } catch (e) {
      log('warn', `read_file: ${(e as Error).message}`);
      return '';
    }
  },
};

export const readFilePlugin: PluginDef = {
  name: 'read_file',
  doc: 'Read files in chunks: one row per chunk with Data, Offset and Filename.',
  args: {
    filenames: { type: 'any', required: true, doc: 'One or more files' },
    accessor: { type: 'string', doc: accessorDoc, default: 'auto' },
    chunk: { type: 'int', doc: 'Bytes per row', default: '1 MiB' },
    max_length: { type: 'int', doc: 'Bytes to read per file at most (default: all)' },
  },
  async *run(call) {
    const { args, scope, signal } = call;
    const log = call.log.bind(call);
    const accessor = accessorOrLog(scope, args.accessor, 'read_file', log);
    if (!accessor) return;
    const names = Array.isArray(args.filenames) ? args.filenames : [args.filenames];
    const chunk = Number(args.chunk ?? 0) > 0 ? Number(args.chunk) : 1 << 20;
    const max = Number(args.max_length ?? 0) > 0 ? Number(args.max_length) : Infinity;
    for (const filename of names) {
      let offset = 0;
      try {
        for await (const b of readChunks(accessor, filename, scope, chunk)) {
          if (signal.aborted) return;
          const data = offset + b.length > max ? b.subarray(0, max - offset) : b;
          yield new VDict([['Data', bytesToValue(data)], ['Offset', offset], ['Filename', accessor.path(filename)]]);
          offset += data.length;
          if (offset >= max) break;
        }
      } catch (e) {
        log('warn', `read_file: ${(e as Error).message}`);
      }
    }
  },
};

const HASHES = [['MD5', 'md5'], ['SHA1', 'sha1'], ['SHA256', 'sha256']] as const;

export const hash: FunctionDef = {
  name: 'hash',
  doc: 'Hash a file: a dict of lowercase hex MD5, SHA1 and SHA256 (those not selected are empty).',
  args: {
    path: { type: 'any', required: true, doc: filenameDoc },
    accessor: { type: 'string', doc: accessorDoc, default: 'auto' },
    hashselect: { type: 'strings', doc: 'Which hashes to compute (MD5, SHA1, SHA256)', default: 'all' },
  },
  async run(call) {
    const { args, scope } = call;
    const log = call.log.bind(call);
    const accessor = accessorOrLog(scope, args.accessor, 'hash', log);
    if (!accessor) return null;
    const select = (args.hashselect as string[] | undefined)?.map((s) => s.toUpperCase());
    const wanted = HASHES.filter(([name]) => !select || select.length === 0 || select.includes(name));
    const hashers = wanted.map(([name, algo]) => [name, createHash(algo)] as const);
    try {
      for await (const b of readChunks(accessor, args.path, scope)) for (const [, h] of hashers) h.update(b);
    } catch (e) {
      log('warn', `hash: ${(e as Error).message}`);
      return null;
    }
    if (scope.signal.aborted) return null;
    const out = new VDict();
    for (const [name] of HASHES) {
      const h = hashers.find(([n]) => n === name);
      out.set(name, h ? h[1].digest('hex') : '');
    }
    return out;
  },
};

async function statRow(accessor: Accessor, filename: Value, scope: Scope): Promise<VDict> {
  if (!accessor.lstat) throw new Error(`accessor ${accessor.name} has no file information`);
  return fileInfoRow(await accessor.lstat(accessor.path(filename), scope));
}

export const statFunction: FunctionDef = {
  name: 'stat',
  doc: 'File information (FileInfo: FullPath, Name, Size, Mode, times, IsDir, IsLink, OSPath, Data), or NULL.',
  args: {
    filename: { type: 'any', required: true, doc: filenameDoc },
    accessor: { type: 'string', doc: accessorDoc, default: 'auto' },
  },
  async run(call) {
    const { args, scope } = call;
    const log = call.log.bind(call);
    const accessor = accessorOrLog(scope, args.accessor, 'stat', log);
    if (!accessor) return null;
    try {
      return await statRow(accessor, args.filename, scope);
    } catch (e) {
      log('debug', `stat: ${(e as Error).message}`);
      return null;
    }
  },
};

export const statPlugin: PluginDef = {
  name: 'stat',
  doc: 'One FileInfo row per existing file.',
  args: {
    filename: { type: 'any', required: true, doc: 'One or more files' },
    accessor: { type: 'string', doc: accessorDoc, default: 'auto' },
  },
  async *run(call) {
    const { args, scope } = call;
    const log = call.log.bind(call);
    const accessor = accessorOrLog(scope, args.accessor, 'stat', log);
    if (!accessor) return;
    for (const filename of Array.isArray(args.filename) ? args.filename : [args.filename]) {
      try {
        yield await statRow(accessor, filename, scope);
      } catch (e) {
        log('debug', `stat: ${(e as Error).message}`);
      }
    }
  },
};
