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
 * - Files, scan modes, budget and rows are shared with yarax() (scan-rows.ts).
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
import { VDict, type PluginCall, type PluginDef, type Scope } from '../../vql/index.ts';
import { accessorOrLog } from '../files/read.ts';
import { scan, type ScanResult } from './engine.ts';
import { expandShorthand, ruleInfo, type RuleInfo } from './rules.ts';
import { SCAN_ARGS, logOncePerQuery, rulesSource, scanFiles, type RuleHit } from './scan-rows.ts';

export { hexDump } from './scan-rows.ts';

const COMPILED = Symbol('yara-compiled');
const LOGGED = Symbol('yara-logged');

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

/** libyara's result as the shared rows' hits: tags and typed metadata from the rule text. */
function ruleHits(r: ScanResult, infos: Map<string, RuleInfo>): RuleHit[] {
  return r.rules.map((rule) => {
    const info = infos.get(rule.rule);
    return {
      rule: rule.rule,
      meta: () => metaDict(info, rule.meta),
      tags: info?.tags ?? [],
      matches: rule.matches,
    };
  });
}

async function* run(call: PluginCall): AsyncGenerator<VDict> {
  const { args, scope } = call;
  let text = rulesSource(call);
  if (text === null) return;
  if (args.vars instanceof VDict && args.vars.size) {
    call.log('error', 'argument vars: external variables are not supported by the YARA engine here (libyara-wasm)');
    return;
  }
  text = expandShorthand(text, (m) => call.log('warn', m));
  const accessor = accessorOrLog(scope, args.accessor, 'argument accessor', (l, m) => call.log(l, m));
  if (!accessor) return;
  let err: string;
  try {
    err = await compileError(text, scope);
  } catch (e) {
    call.log('error', (e as Error).message);
    return;
  }
  if (err) {
    logOncePerQuery(call, LOGGED, 'error', `argument rules: the rules do not compile: ${err}`);
    return;
  }
  const infos = ruleInfo(text);
  yield* scanFiles(call, accessor, async (buf) => ruleHits(await scan(buf, text), infos));
}

export const yara: PluginDef = {
  name: 'yara',
  version: 2,
  doc:
    'Scan files with YARA rules: one row per matching string {Rule, Meta, Tags, String {Name, Offset, HexData, Data}, File, ' +
    'FileName}. number= hits in all (default 1); context= bytes around each hit. Engine: libyara (WebAssembly).',
  args: {
    ...SCAN_ARGS,
    key: { type: 'string', doc: 'Cache key of the compiled rules (accepted; rules compile per scan here)' },
    namespace: { type: 'string', doc: 'YARA namespace (accepted; no effect here)' },
    vars: { type: 'any', doc: 'External variables (not supported by the engine here)' },
  },
  run,
};
