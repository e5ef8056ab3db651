/**
 * `yara(rules=, files=, accessor=, context=, start=, end=, number=, blocksize=, key=,
 * namespace=, vars=, force_buffers=)` (VQL-FUNCTIONS.md 6, Velociraptor's vql/common/yara.go,
 * version 2): scans files with YARA rules (engine.ts: libyara in WebAssembly).
 *
 * One row per matching string instance of a matching rule (a rule that matches without
 * strings gives one row whose String is empty): `Rule`, `Meta` (the rule's metadata, typed as
 * written; NULL when it has none), `Tags`, `String` `{Name, Offset (absolute), HexData (Go
 * hex.Dump lines of Data), Data (the match with `context` bytes either side)}`, `File` (the
 * file's stat: FullPath, Size, Mode, ModeStr, ModTime, Data, Mtime, Ctime, Atime) and
 * `FileName` (its OSPath).
 *
 * - `number` (default 1) is a hit budget shared across the files: once it is used up the scan
 *   of the current file stops, and each later file still reports at most its first hit.
 * - Scan modes: a local file (accessor file/auto) of at most 32 MiB, with start 0 and no
 *   force_buffers, is scanned whole (Velociraptor's fast path: `end` is ignored, conditions
 *   such as filesize and pe.* see the whole file). Otherwise the range start..end is read in
 *   `blocksize` blocks (default 1 MiB), each scanned on its own, so a match across two blocks
 *   is missed - as in Velociraptor's accessor mode. (Velociraptor scans any size of local file
 *   whole with mmap; a WebAssembly heap does not give back memory, hence the 32 MiB limit.)
 * - Shorthand rules: `ascii wide nocase: foo,bar` (rules.ts).
 * - Errors: rules that do not compile are logged once per query (error level, with the line)
 *   and give no rows; a file that cannot be read is logged and skipped.
 * - Differences: `vars` (external variables) and compiled rules (text starting with YARA) are
 *   not supported by the WASM engine (an error); `namespace` and `key` are accepted and have
 *   no effect (each scan compiles the rules again: ~15 ms per file).
 */
import { ABSENT, VBytes, VDict, type PluginCall, type PluginDef, type Scope, type Value } from '../../vql/index.ts';
import { accessorFor, readFull, type Accessor, type FileReader } from '../files/accessors.ts';
import type { FileStat } from '../files/fileinfo.ts';
import type { OSPath } from '../files/ospath.ts';
import { scan, type ScanResult } from './engine.ts';
import { expandShorthand, ruleInfo, type RuleInfo } from './rules.ts';
import { unreadableProcess } from '../more/process-memory.ts';

const FAST_MAX = 32 * 1024 * 1024;
const DEFAULT_BLOCK = 1024 * 1024;
const COMPILED = Symbol('yara-compiled');
const LOGGED = Symbol('yara-logged');

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
function fileColumn(st: FileStat | null, path: OSPath, size: number | null): VDict {
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

/** Compile check (once per query and rule text): the error text, or '' when they compile. */
async function compileError(rules: string, scope: Scope): Promise<string> {
  let cache = scope.env.context.get(COMPILED) as Map<string, string> | undefined;
  if (!cache) scope.env.context.set(COMPILED, (cache = new Map()));
  const known = cache.get(rules);
  if (known !== undefined) return known;
  const r = await scan(new Uint8Array(0), rules);
  const msg = r.errors.map((e) => `line ${e.line}: ${e.message}`).join('; ');
  if (cache.size > 100) cache.clear();
  cache.set(rules, msg);
  return msg;
}

function metaDict(info: RuleInfo | undefined, engineMeta: Array<[string, string]>): VDict | null {
  if (!engineMeta.length && !info?.meta.length) return null;
  const typed = new Map(info?.meta ?? []);
  const d = new VDict();
  for (const [k, v] of engineMeta) d.map.set(k, typed.has(k) ? typed.get(k)! : v);
  for (const [k, v] of info?.meta ?? []) if (!d.map.has(k)) d.map.set(k, v);
  return d;
}

interface Budget {
  number: number;
  used: number;
}

/** The rows of one scanned buffer that starts at file offset `base`. */
function* resultRows(r: ScanResult, buf: Uint8Array, base: number, context: number, infos: Map<string, RuleInfo>, file: VDict, path: OSPath): Generator<VDict> {
  for (const rule of r.rules) {
    const info = infos.get(rule.rule);
    const common = (s: VDict) =>
      new VDict([
        ['Rule', rule.rule],
        ['Meta', metaDict(info, rule.meta)],
        ['Tags', info?.tags ?? []],
        ['String', s],
        ['File', file],
        ['FileName', path],
      ]);
    if (!rule.matches.length) {
      yield common(new VDict([['Name', ''], ['Offset', 0], ['HexData', hexDump(new Uint8Array(0)).split('\n')], ['Data', new VBytes(new Uint8Array(0))]]));
      continue;
    }
    for (const m of rule.matches) {
      const data = buf.slice(Math.max(0, m.offset - context), Math.min(buf.length, m.offset + m.length + context));
      yield common(new VDict([['Name', m.identifier], ['Offset', base + m.offset], ['HexData', hexDump(data).split('\n')], ['Data', new VBytes(data)]]));
    }
  }
}

/** Scans one file; yields its rows while the hit budget lasts. */
async function* scanFile(call: PluginCall, accessor: Accessor, file: Value, rules: string, infos: Map<string, RuleInfo>, budget: Budget): AsyncGenerator<VDict> {
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
    const fast = local && start === 0 && args.force_buffers !== true && size !== null && size <= FAST_MAX;
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
    if (fast) {
      const buf = await readFull(reader, 0, size!, 8 << 20);
      const r = await scan(buf, rules);
      yield* emit(resultRows(r, buf, 0, context, infos, fileCol, path));
      return;
    }
    const blocksize = Number(args.blocksize ?? 0) > 0 ? Number(args.blocksize) : DEFAULT_BLOCK;
    const end = args.end !== undefined && Number(args.end) > 0 ? Number(args.end) : size ?? Number.MAX_SAFE_INTEGER;
    for (let off = start; off < end; off += blocksize) {
      if (signal.aborted) return;
      const buf = await readFull(reader, off, Math.min(blocksize, end - off), 8 << 20);
      if (buf.length === 0) break;
      const r = await scan(buf, rules);
      if (!(yield* emit(resultRows(r, buf, off, context, infos, fileCol, path)))) return;
    }
  } finally {
    await reader.close().catch(() => {});
  }
}

async function* run(call: PluginCall): AsyncGenerator<VDict> {
  const { args, scope, signal } = call;
  const warn = (m: string) => call.log('warn', m);
  let text = typeof args.rules === 'string' ? args.rules : '';
  if (text.trim() === '') {
    call.log('error', 'argument rules: no rules given');
    return;
  }
  if (text.startsWith('YARA')) {
    call.log('error', 'argument rules: compiled rules are not supported here: give the rules\' source text');
    return;
  }
  if (args.vars instanceof VDict && args.vars.size) {
    call.log('error', 'argument vars: external variables are not supported by the YARA engine here (libyara-wasm)');
    return;
  }
  text = expandShorthand(text, warn);
  let accessor: Accessor;
  try {
    accessor = accessorFor(scope, args.accessor);
  } catch (e) {
    call.log('error', `argument accessor: ${(e as Error).message}`);
    return;
  }
  let err: string;
  try {
    err = await compileError(text, scope);
  } catch (e) {
    call.log('error', (e as Error).message);
    return;
  }
  if (err) {
    const seen = scope.env.context.get(LOGGED) as Set<string> | undefined;
    const logged = seen ?? new Set<string>();
    if (!seen) scope.env.context.set(LOGGED, logged);
    if (!logged.has(text)) call.log('error', `argument rules: the rules do not compile: ${err}`);
    logged.add(text);
    return;
  }
  const infos = ruleInfo(text);
  const number = Number(args.number ?? 0) > 0 ? Number(args.number) : 1;
  const budget: Budget = { number, used: 0 };
  const files = Array.isArray(args.files) ? args.files : args.files === null || args.files === undefined || args.files === ABSENT ? [] : [args.files];
  for (const f of files) {
    if (signal.aborted) return;
    try {
      yield* scanFile(call, accessor, f, text, infos, budget);
    } catch (e) {
      if (signal.aborted) return;
      call.log('error', `${(e as Error).message}`);
    }
  }
}

export const yara: PluginDef = {
  name: 'yara',
  version: 2,
  doc:
    'Scan files with YARA rules: one row per matching string {Rule, Meta, Tags, String {Name, Offset, HexData, Data}, File, ' +
    'FileName}. number= hits in all (default 1); context= bytes around each hit. Engine: libyara (WebAssembly).',
  args: {
    rules: { type: 'string', doc: 'The rules\' source (or the shorthand "ascii wide nocase: foo,bar")', required: true },
    files: { type: 'any', doc: 'The file or files to scan (paths or OSPaths)', required: true },
    accessor: { type: 'string', doc: 'How to read them', default: 'auto' },
    context: { type: 'int', doc: 'Bytes of context before and after each hit, in String.Data', default: '0' },
    start: { type: 'int', doc: 'Start offset (a non-zero start scans in blocks)', default: '0' },
    end: { type: 'int', doc: 'End offset (block scans only; default the file size)' },
    number: { type: 'int', doc: 'Stop after this many hits (shared across the files)', default: '1' },
    blocksize: { type: 'int', doc: 'Block size of block scans', default: '1048576' },
    key: { type: 'string', doc: 'Cache key of the compiled rules (accepted; rules compile per scan here)' },
    namespace: { type: 'string', doc: 'YARA namespace (accepted; no effect here)' },
    vars: { type: 'any', doc: 'External variables (not supported by the engine here)' },
    force_buffers: { type: 'bool', doc: 'Always scan in blocks' },
  },
  run,
};
