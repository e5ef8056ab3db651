/**
 * `proc_yara(rules=, pid=, context=, key=, namespace=, vars=, number=, blocksize=)`
 * (Velociraptor's vql/common/yara.go): scans a process's memory with YARA rules, using the
 * yara() engine (main/host/yara, libyara in WebAssembly) over the memory that
 * process-memory.ts reads from /proc/<pid>/maps and /proc/<pid>/mem (Linux; root, or a
 * process of the same user where ptrace is allowed).
 *
 * Rows are yara()'s: `Rule`, `Meta`, `Tags`, `String` {Name, Offset, HexData, Data} and
 * `FileName` (the process path `/<pid>`); `Offset` is the virtual address of the hit and `Data`
 * holds `context` bytes either side. `number` (default 1) stops after that many hits.
 *
 * The readable regions are gathered into buffers of up to `blocksize` bytes (default 16 MiB),
 * each scanned once, so a pattern is found anywhere inside a region; a hit that would run
 * from one region into the next non-adjacent one is dropped. Regions the kernel refuses are
 * skipped. Conditions on offsets (`at`, `in`) see positions in the scanned buffer, not
 * addresses.
 *
 * Bad input: rules that do not compile, or a pid that is not a number, log an error naming the
 * argument and give no rows; a process that has exited or that the kernel does not let us read
 * (EACCES/EPERM: another user's process, or no ptrace rights in a container) logs a warning and
 * gives no rows, so an artifact that scans every process goes on.
 */
import { VBytes, VDict, type PluginCall, type PluginDef, type Value } from '../../vql/index.ts';
import { OSPath } from '../files/ospath.ts';
import { scan } from '../yara/engine.ts';
import { expandShorthand, ruleInfo, type RuleInfo } from '../yara/rules.ts';
import { hexDump } from '../yara/yara.ts';
import { openProcessMemory, unreadableProcess, type ProcessMemory } from './process-memory.ts';

const DEFAULT_BLOCK = 16 * 1024 * 1024;
const MAX_BLOCK = 32 * 1024 * 1024;

/** A span of a scan buffer and the address it came from. */
interface Piece {
  at: number;
  length: number;
  address: number;
}

function metaDict(info: RuleInfo | undefined, engineMeta: Array<[string, string]>): VDict | null {
  if (!engineMeta.length && !info?.meta.length) return null;
  const typed = new Map(info?.meta ?? []);
  const d = new VDict();
  for (const [k, v] of engineMeta) d.set(k, typed.has(k) ? typed.get(k)! : v);
  for (const [k, v] of info?.meta ?? []) if (!d.has(k)) d.set(k, v);
  return d;
}

/** Reads the readable memory into buffers of at most `block` bytes with their address map. */
async function* buffers(mem: ProcessMemory, block: number, signal: AbortSignal): AsyncGenerator<{ buf: Uint8Array; pieces: Piece[] }> {
  let parts: Uint8Array[] = [];
  let pieces: Piece[] = [];
  let size = 0;
  const flush = () => {
    const out = { buf: parts.length === 1 ? parts[0]! : Buffer.concat(parts), pieces };
    parts = [];
    pieces = [];
    size = 0;
    return out;
  };
  for (const r of mem.regions) {
    for (let addr = r.start; addr < r.end; ) {
      if (signal.aborted) return;
      const want = Math.min(block - size, r.end - addr);
      const b = await mem.read(addr, want);
      if (b.length === 0) break; // refused by the kernel: skip the rest of the region
      const last = pieces[pieces.length - 1];
      if (last && last.address + last.length === addr) last.length += b.length;
      else pieces.push({ at: size, length: b.length, address: addr });
      parts.push(b);
      size += b.length;
      addr += b.length;
      if (size >= block) yield flush();
    }
  }
  if (size > 0) yield flush();
}

async function* run(call: PluginCall): AsyncGenerator<VDict> {
  const { args, signal } = call;
  let rules = typeof args.rules === 'string' ? args.rules : '';
  if (rules.trim() === '') {
    call.log('error', 'argument rules: no rules given');
    return;
  }
  if (args.vars instanceof VDict && args.vars.size) {
    call.log('error', 'argument vars: external variables are not supported by the YARA engine here (libyara-wasm)');
    return;
  }
  rules = expandShorthand(rules, (m) => call.log('warn', m));
  const pid = Number(args.pid);
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    call.log('error', `argument pid: ${String(args.pid)} is not a process id`);
    return;
  }
  const compiled = await scan(new Uint8Array(0), rules);
  if (compiled.errors.length) {
    call.log('error', `argument rules: the rules do not compile: ${compiled.errors.map((e) => `line ${e.line}: ${e.message}`).join('; ')}`);
    return;
  }
  let mem: ProcessMemory;
  try {
    mem = await openProcessMemory(pid);
  } catch (e) {
    const { level, why } = unreadableProcess(e);
    call.log(level, `argument pid: cannot read the memory of process ${pid}: ${why}; skipped`);
    return;
  }
  const infos = ruleInfo(rules);
  const context = Math.max(0, Number(args.context ?? 0));
  const number = Number(args.number ?? 0) > 0 ? Number(args.number) : 1;
  const block = Math.min(MAX_BLOCK, Number(args.blocksize ?? 0) > 0 ? Number(args.blocksize) : DEFAULT_BLOCK);
  const fileName = new OSPath([String(pid)], 'linux');
  let hits = 0;
  try {
    for await (const { buf, pieces } of buffers(mem, block, signal)) {
      if (signal.aborted) return;
      const r = await scan(buf, rules);
      for (const rule of r.rules) {
        const info = infos.get(rule.rule);
        const row = (s: VDict) =>
          new VDict([['Rule', rule.rule], ['Meta', metaDict(info, rule.meta)], ['Tags', info?.tags ?? []], ['String', s], ['FileName', fileName]]);
        if (!rule.matches.length) {
          yield row(new VDict([['Name', ''], ['Offset', 0], ['HexData', hexDump(new Uint8Array(0)).split('\n')], ['Data', new VBytes(new Uint8Array(0))]]));
          if (++hits >= number) return;
          continue;
        }
        for (const m of rule.matches) {
          const piece = pieces.find((p) => m.offset >= p.at && m.offset < p.at + p.length);
          if (!piece || m.offset + m.length > piece.at + piece.length) continue; // runs across a gap
          const from = Math.max(piece.at, m.offset - context);
          const to = Math.min(piece.at + piece.length, m.offset + m.length + context);
          const data = buf.slice(from, to);
          const address = piece.address + (m.offset - piece.at);
          yield row(new VDict([['Name', m.identifier], ['Offset', address], ['HexData', hexDump(data).split('\n')], ['Data', new VBytes(data)]]));
          if (++hits >= number) return;
        }
      }
    }
  } finally {
    await mem.close().catch(() => {});
  }
}

export const procYara: PluginDef = {
  name: 'proc_yara',
  doc: 'Scan a process\'s memory with YARA rules (Linux): rows {Rule, Meta, Tags, String {Name, Offset (address), HexData, Data}, FileName}.',
  args: {
    rules: { type: 'string', required: true, doc: 'The rules\' source (or the shorthand "ascii wide nocase: foo,bar")' },
    pid: { type: 'int', required: true, doc: 'The process to scan' },
    context: { type: 'int', doc: 'Bytes of context before and after each hit, in String.Data', default: '0' },
    key: { type: 'string', doc: 'Cache key of the compiled rules (accepted; no effect here)' },
    namespace: { type: 'string', doc: 'YARA namespace (accepted; no effect here)' },
    vars: { type: 'any', doc: 'External variables (not supported by the engine here)' },
    number: { type: 'int', doc: 'Stop after this many hits', default: '1' },
    blocksize: { type: 'int', doc: 'Bytes of memory scanned at once (at most 32 MiB)', default: '16777216' },
  },
  run: run as (call: PluginCall) => AsyncIterable<Value>,
};
