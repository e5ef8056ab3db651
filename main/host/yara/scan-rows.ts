/**
 * What yara() (yara.ts, libyara) and yarax() (yarax.ts, YARA-X) share: walking the `files`
 * argument through an accessor, the choice between a whole-file scan and block scans, the hit
 * budget (`number`) shared across the files, and the rows (Velociraptor's YaraResult: Rule,
 * Meta, Tags, String {Name, Offset, HexData, Data}, File, FileName). Each plugin brings only
 * its engine: a function that scans one buffer and gives its hits.
 *
 * Scan modes: a local file (accessor file/auto) of at most WHOLE_MAX (32 MiB), with start 0
 * and no force_buffers, is scanned whole (Velociraptor's fast path: `end` is ignored,
 * conditions such as filesize and pe.* see the whole file). Otherwise the range start..end is
 * read in `blocksize` blocks (default 1 MiB), each scanned on its own, so a match across two
 * blocks is missed - as in Velociraptor's accessor mode. (Velociraptor scans any size of local
 * file whole with mmap; a WebAssembly heap does not give back memory, hence the limit.)
 */
import { ABSENT, VBytes, VDict, type ArgSpec, type PluginCall, type Value } from '../../vql/index.ts';
import { readFull, type Accessor, type FileReader } from '../files/accessors.ts';
import type { FileStat } from '../files/fileinfo.ts';
import type { OSPath } from '../files/ospath.ts';
import { unreadableProcess } from '../more/process-memory.ts';

/** The largest local file scanned whole. */
export const WHOLE_MAX = 32 * 1024 * 1024;
export const DEFAULT_BLOCK = 1024 * 1024;

/** The arguments yara() and yarax() share (Velociraptor's); each adds key=, namespace=, vars= with its own docs. */
export const SCAN_ARGS: Record<string, ArgSpec> = {
  rules: { type: 'string', doc: 'The rules\' source (or the shorthand "ascii wide nocase: foo,bar")', required: true },
  files: { type: 'any', doc: 'The file or files to scan (paths or OSPaths)', required: true },
  accessor: { type: 'string', doc: 'How to read them', default: 'auto' },
  context: { type: 'int', doc: 'Bytes of context before and after each hit, in String.Data', default: '0' },
  start: { type: 'int', doc: 'Start offset (a non-zero start scans in blocks)', default: '0' },
  end: { type: 'int', doc: 'End offset (block scans only; default the file size)' },
  number: { type: 'int', doc: 'Stop after this many hits (shared across the files)', default: '1' },
  blocksize: { type: 'int', doc: 'Block size of block scans', default: '1048576' },
  force_buffers: { type: 'bool', doc: 'Always scan in blocks' },
};

/** Go's encoding/hex Dump. */
export function hexDump(data: Uint8Array): string {
  let out = '';
  const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
  const printable = (b: number) => (b < 32 || b > 126 ? '.' : String.fromCharCode(b));
  for (let line = 0; line < data.length; line += 16) {
    const bytes = data.subarray(line, line + 16);
    out += hex(line, 8) + '  ';
    for (let i = 0; i < 16; i++) {
      out += i < bytes.length ? hex(bytes[i]!, 2) + ' ' : '   ';
      if (i === 7) out += ' ';
    }
    out += ' |';
    for (const b of bytes) out += printable(b);
    out += '|\n';
  }
  return out;
}

/** Go's FileInfo JSON shape (the File column). */
export function fileColumn(st: FileStat | null, path: OSPath, size: number | null): VDict {
  return new VDict([
    ['FullPath', st?.fullPath ?? path.toString()],
    ['Size', st?.size ?? size ?? 0],
    ['Mode', st ? st.mode.bits : 0],
    ['ModeStr', st ? st.mode.toString() : ''],
    ['ModTime', st?.mtime ?? null],
    ['Data', st?.data ?? new VDict()],
    ['Mtime', st?.mtime ?? null],
    ['Ctime', st?.ctime ?? null],
    ['Atime', st?.atime ?? null],
  ]);
}

/** One string match, its offset relative to the scanned buffer. */
export interface StringHit {
  identifier: string;
  offset: number;
  length: number;
}

/** One matching rule of one scanned buffer. */
export interface RuleHit {
  rule: string;
  /** A fresh dict per row (rows are independent values), or null when the rule has no metadata. */
  meta: () => VDict | null;
  tags: string[];
  /** Empty for a rule that matched without strings. */
  matches: StringHit[];
}

/** Scans one buffer (a whole file or one block). Throws when the engine fails. */
export type BufferScan = (buf: Uint8Array) => Promise<RuleHit[]> | RuleHit[];

/** The hit budget of one plugin call, shared across its files. */
export interface Budget {
  number: number;
  used: number;
}

/** The rows of one scanned buffer that starts at file offset `base`. */
function* hitRows(hits: RuleHit[], buf: Uint8Array, base: number, context: number, file: VDict, path: OSPath): Generator<VDict> {
  for (const rule of hits) {
    const row = (s: VDict) =>
      new VDict([
        ['Rule', rule.rule],
        ['Meta', rule.meta()],
        ['Tags', [...rule.tags]],
        ['String', s],
        ['File', file],
        ['FileName', path],
      ]);
    if (!rule.matches.length) {
      yield row(new VDict([['Name', ''], ['Offset', 0], ['HexData', hexDump(new Uint8Array(0)).split('\n')], ['Data', new VBytes(new Uint8Array(0))]]));
      continue;
    }
    for (const m of rule.matches) {
      const data = buf.slice(Math.max(0, m.offset - context), Math.min(buf.length, m.offset + m.length + context));
      yield row(new VDict([['Name', m.identifier], ['Offset', base + m.offset], ['HexData', hexDump(data).split('\n')], ['Data', new VBytes(data)]]));
    }
  }
}

/** Scans one file; yields its rows while the hit budget lasts. */
async function* scanFile(call: PluginCall, accessor: Accessor, file: Value, scanBuffer: BufferScan, budget: Budget): AsyncGenerator<VDict> {
  const { args, scope, signal } = call;
  let path: OSPath;
  try {
    path = accessor.path(file);
  } catch (e) {
    call.log('error', `argument files: ${(e as Error).message}`);
    return;
  }
  let reader: FileReader;
  try {
    reader = await accessor.open(file, scope);
  } catch (e) {
    if (accessor.name === 'process') {
      // As proc_yara(): a process that exited or that the kernel keeps closed is skipped.
      const { level, why } = unreadableProcess(e);
      call.log(level, `argument files: cannot read the memory of process ${path.toString().replace(/^\//, '')}: ${why}; skipped`);
    } else call.log('error', `argument files: ${path.toString()}: ${(e as Error).message}`);
    return;
  }
  try {
    let st: FileStat | null = null;
    try {
      st = (await accessor.stat?.(path)) ?? null;
    } catch {
      st = null;
    }
    const size = reader.size ?? (st ? Number(st.size) : null);
    const fileCol = fileColumn(st, path, size);
    const context = Math.max(0, Number(args.context ?? 0));
    const start = Math.max(0, Number(args.start ?? 0));
    const local = accessor.name === 'file' || accessor.name === 'auto';
    const whole = local && start === 0 && args.force_buffers !== true && size !== null && size <= WHOLE_MAX;
    let firstHit = true;
    const emit = function* (rows: Iterable<VDict>): Generator<VDict, boolean> {
      for (const row of rows) {
        // Once the budget is spent a file still reports its first hit (the callback counts after).
        if (budget.used >= budget.number && !firstHit) return false;
        firstHit = false;
        budget.used++;
        yield row;
        if (budget.used >= budget.number) return false;
      }
      return true;
    };
    // A read or scan that fails (a directory, an engine error) is logged with the file's path.
    const failed = (e: unknown) => {
      if (!signal.aborted) call.log('error', `argument files: ${path.toString()}: ${(e as Error)?.message ?? e}`);
    };
    if (whole) {
      let buf: Uint8Array;
      let hits: RuleHit[];
      try {
        buf = await readFull(reader, 0, size!, 8 << 20);
        if (signal.aborted) return;
        hits = await scanBuffer(buf);
      } catch (e) {
        return failed(e);
      }
      yield* emit(hitRows(hits, buf, 0, context, fileCol, path));
      return;
    }
    const blocksize = Number(args.blocksize ?? 0) > 0 ? Number(args.blocksize) : DEFAULT_BLOCK;
    const end = args.end !== undefined && Number(args.end) > 0 ? Number(args.end) : size ?? Number.MAX_SAFE_INTEGER;
    for (let off = start; off < end; off += blocksize) {
      if (signal.aborted) return;
      let buf: Uint8Array;
      let hits: RuleHit[];
      try {
        buf = await readFull(reader, off, Math.min(blocksize, end - off), 8 << 20);
        if (buf.length === 0) break;
        hits = await scanBuffer(buf);
      } catch (e) {
        return failed(e);
      }
      if (!(yield* emit(hitRows(hits, buf, off, context, fileCol, path)))) return;
    }
  } finally {
    await reader.close().catch(() => {});
  }
}

/**
 * The `rules` argument's source text, or null after logging why it cannot be scanned with
 * (none given; compiled rules, which neither engine here loads).
 */
export function rulesSource(call: PluginCall): string | null {
  const text = typeof call.args.rules === 'string' ? call.args.rules : '';
  if (text.trim() === '') {
    call.log('error', 'argument rules: no rules given');
    return null;
  }
  if (text.startsWith('YARA')) {
    call.log('error', 'argument rules: compiled rules are not supported here: give the rules\' source text');
    return null;
  }
  return text;
}

/** Logs `message` through the call once per query; `table` is the plugin's own memory of what it said. */
export function logOncePerQuery(call: PluginCall, table: symbol, level: 'error' | 'info', message: string): void {
  const context = call.scope.env.context;
  let logged = context.get(table) as Set<string> | undefined;
  if (!logged) context.set(table, (logged = new Set()));
  if (logged.has(message)) return;
  logged.add(message);
  call.log(level, message);
}

/** The `files` argument as a list. */
export function fileList(files: Value): Value[] {
  return Array.isArray(files) ? files : files === null || files === undefined || files === ABSENT ? [] : [files];
}

/**
 * Scans every file of the call in turn (stopping when the run is cancelled) with one hit
 * budget (`number`, default 1). A file that cannot be read is logged and skipped; an engine
 * failure on one file is logged and the next file is scanned.
 */
export async function* scanFiles(call: PluginCall, accessor: Accessor, scanBuffer: BufferScan): AsyncGenerator<VDict> {
  const { args, signal } = call;
  const number = Number(args.number ?? 0) > 0 ? Number(args.number) : 1;
  const budget: Budget = { number, used: 0 };
  for (const f of fileList(args.files)) {
    if (signal.aborted) return;
    try {
      yield* scanFile(call, accessor, f, scanBuffer, budget);
    } catch (e) {
      if (signal.aborted) return;
      call.log('error', `${(e as Error).message}`);
    }
  }
}
