/**
 * `yarax(rules=, files=, accessor=, context=, start=, end=, number=, blocksize=, key=,
 * namespace=, vars=, force_buffers=, dll_path=)`: Velociraptor's YARA-X plugin (vql/common/
 * yarax.go, which loads the yara_x_capi library from `dll_path`), over the official YARA-X
 * engine built for WebAssembly (npm `@virustotal/yara-x`, BSD-3-Clause, no dependencies, a
 * 5.9 MB .wasm: the same package runs on Linux, macOS, Windows and in Electron). The module is
 * loaded by the first yarax() call, never at start-up.
 *
 * Files, scan modes, the hit budget and the rows are yara()'s (scan-rows.ts): one row per
 * matching string instance {Rule, Meta, Tags, String {Name, Offset, HexData, Data}, File,
 * FileName}; a local file of at most 32 MiB (start 0, no force_buffers) is scanned whole,
 * anything else in `blocksize` blocks (default 1 MiB; a match across two blocks is missed).
 *
 * - Meta and Tags come from the engine (metadata typed: strings, integers, floats, booleans;
 *   a byte-string value becomes bytes). Private rules and private patterns give no rows (as
 *   YARA-X's own API). The namespace is not a column (as in Velociraptor).
 * - Compiled rules are kept per rule text, namespace and vars (a few sets, least recently used
 *   dropped), so a query over many files compiles once; `key` is accepted and not needed.
 * - `namespace` puts the rules in that namespace; `vars` defines external variables
 *   (booleans, numbers, strings: YARA-X's defineGlobal).
 * - `dll_path` is accepted and never used: the engine is built in. (In Windows.Detection.YaraX.Glob
 *   it is the text of a lambda that would fetch the DLL; the text is not run.)
 * - Rules that do not compile: one error per query naming the argument, with YARA-X's message
 *   and line; no rows. Compiler warnings: once per query at info level. A file that cannot be
 *   read or scanned: an error naming it, and the next file is scanned. Shorthand rules
 *   (`wide nocase: foo,bar`) expand as for yara().
 * - Limits of the WebAssembly build: no scan timeout (it needs a thread), integer metadata
 *   beyond 2^53 makes the scan fail (the result cannot be given to JavaScript: logged), and
 *   each scan costs ~6 ms on top of the bytes (the rules' code is instantiated per scan).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { VBytes, VDict, type PluginCall, type PluginDef, type Value } from '../../vql/index.ts';
import { accessorOrLog } from '../files/read.ts';
import { expandShorthand } from './rules.ts';
import { SCAN_ARGS, logOncePerQuery, rulesSource, scanFiles, type RuleHit } from './scan-rows.ts';

type YaraXModule = typeof import('@virustotal/yara-x');
type Rules = import('@virustotal/yara-x').Rules;

const LOGGED = Symbol('yarax-logged');
/** Compiled rule sets kept between calls. */
const CACHE_SIZE = 8;

let loading: Promise<YaraXModule> | null = null;
/** Whether the WebAssembly module has been loaded (for the test of lazy loading). */
export let yaraxLoaded = false;

/** Loads the module and instantiates its WebAssembly once, on first use. */
async function load(): Promise<YaraXModule> {
  loading ??= (async () => {
    const mod = (await import('@virustotal/yara-x')) as YaraXModule;
    // The package's default init fetches a URL next to its script, which Node's fetch cannot
    // do for file: URLs: give it the bytes (inside an Electron asar, fs reads them too).
    const pkg = createRequire(import.meta.url).resolve('@virustotal/yara-x/package.json');
    const wasm = await readFile(join(dirname(pkg), 'pkg', 'yara_x_js_bg.wasm'));
    await mod.default({ module_or_path: wasm });
    yaraxLoaded = true;
    return mod;
  })();
  try {
    return await loading;
  } catch (e) {
    loading = null;
    throw new Error(`the YARA-X engine (@virustotal/yara-x) cannot be loaded: ${(e as Error).message}`);
  }
}

/** A compiled rule set, or why it does not compile; `refs` scans in progress hold it. */
interface Compiled {
  rules: Rules | null;
  error: string;
  warnings: string[];
  refs: number;
  dropped: boolean;
}

const cache = new Map<string, Compiled>();

/**
 * YARA-X's diagnostic (`error[E025]: unknown pattern `$b`\n --> line:3:13\n ... ^^ label`) on
 * one line: `line 3: error[E025]: unknown pattern `$b` (label)`.
 */
export function oneLine(diagnostic: string): string {
  const lines = diagnostic.split('\n');
  const title = lines[0]!.trim();
  const at = /-->\s*line:(\d+):(\d+)/.exec(diagnostic);
  const label = lines.map((l) => /^\s*\d*\s*\|\s*[\^-]+\s+(.+)$/.exec(l)?.[1]).find((l) => l !== undefined);
  if (!at) return diagnostic.replace(/\s*\n\s*/g, ' ').trim();
  return `line ${at[1]}: ${title}${label ? ` (${label.trim()})` : ''}`;
}

function release(c: Compiled): void {
  c.refs--;
  if (c.dropped && c.refs === 0) c.rules?.free();
}

function globalValue(v: Value): boolean | number | string | undefined {
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

/** The compiled rules for this text, namespace and vars, from the cache or compiled now; held until released. */
async function acquire(text: string, namespace: string, vars: Array<[string, boolean | number | string]>): Promise<Compiled> {
  const key = JSON.stringify([namespace, vars, text]);
  let c = cache.get(key);
  if (c) {
    cache.delete(key); // most recently used last
    cache.set(key, c);
  } else {
    const yx = await load();
    c = cache.get(key); // compiled meanwhile by another call
    if (!c) {
      const compiler = new yx.Compiler();
      c = { rules: null, error: '', warnings: [], refs: 0, dropped: false };
      try {
        if (namespace) compiler.newNamespace(namespace);
        for (const [k, v] of vars) compiler.defineGlobal(k, v);
        compiler.addSource(text);
        c.warnings = compiler.warnings.map(oneLine);
        c.rules = compiler.build();
      } catch (e) {
        const errors = compiler.errors;
        c.error = errors.length ? errors.map(oneLine).join('; ') : oneLine(String((e as Error)?.message ?? e));
      } finally {
        compiler.free();
      }
      cache.set(key, c);
      while (cache.size > CACHE_SIZE) {
        const [oldKey, old] = cache.entries().next().value!;
        cache.delete(oldKey);
        old.dropped = true;
        if (old.refs === 0) old.rules?.free();
      }
    }
  }
  c.refs++;
  return c;
}

function metaValue(v: unknown): Value {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v;
  if (Array.isArray(v)) return new VBytes(Uint8Array.from(v as number[]));
  if (v instanceof Uint8Array) return new VBytes(v);
  return v === undefined ? null : String(v);
}

interface XMatch {
  identifier: string;
  isPrivate?: boolean;
  tags?: string[];
  metadata?: Array<{ identifier: string; value: unknown }>;
  patterns?: Array<{ identifier: string; isPrivate?: boolean; matches: Array<{ offset: number; length: number }> }>;
}

/** A YARA-X scan result as the shared rows' hits (private rules and patterns left out). */
function ruleHits(result: { matches?: XMatch[] }): RuleHit[] {
  const out: RuleHit[] = [];
  for (const m of result.matches ?? []) {
    if (m.isPrivate) continue;
    const meta = m.metadata ?? [];
    out.push({
      rule: m.identifier,
      meta: () => (meta.length ? new VDict(meta.map((x) => [x.identifier, metaValue(x.value)] as [string, Value])) : null),
      tags: m.tags ?? [],
      matches: (m.patterns ?? [])
        .filter((p) => !p.isPrivate)
        .flatMap((p) => p.matches.map((x) => ({ identifier: p.identifier, offset: Number(x.offset), length: Number(x.length) }))),
    });
  }
  return out;
}

async function* run(call: PluginCall): AsyncGenerator<VDict> {
  const { args } = call;
  let text = rulesSource(call);
  if (text === null) return;
  const vars: Array<[string, boolean | number | string]> = [];
  if (args.vars instanceof VDict) {
    for (const [k, v] of args.vars.entries()) {
      const g = globalValue(v);
      if (g === undefined) {
        call.log('error', `argument vars: ${k} must be a boolean, a number or a string`);
        return;
      }
      vars.push([k, g]);
    }
  } else if (args.vars !== undefined && args.vars !== null) {
    call.log('error', 'argument vars: expected a dict of external variables');
    return;
  }
  text = expandShorthand(text, (m) => call.log('warn', m));
  const accessor = accessorOrLog(call.scope, args.accessor, 'argument accessor', (l, m) => call.log(l, m));
  if (!accessor) return;
  let compiled: Compiled;
  try {
    compiled = await acquire(text, typeof args.namespace === 'string' ? args.namespace : '', vars);
  } catch (e) {
    call.log('error', (e as Error).message);
    return;
  }
  try {
    if (compiled.error || !compiled.rules) {
      logOncePerQuery(call, LOGGED, 'error', `argument rules: the rules do not compile: ${compiled.error}`);
      return;
    }
    // Compiler warnings (slow patterns, invariant conditions such as `condition: true`) do not change
    // the results: logged at info level.
    for (const w of compiled.warnings) logOncePerQuery(call, LOGGED, 'info', `argument rules: ${w}`);
    const scanner = compiled.rules.scanner();
    try {
      yield* scanFiles(call, accessor, (buf) => {
        let result;
        try {
          result = scanner.scan(buf);
        } catch (e) {
          throw new Error(`the YARA-X scan failed: ${(e as Error)?.message ?? e}`);
        }
        return ruleHits(result as { matches?: XMatch[] });
      });
    } finally {
      scanner.free();
    }
  } finally {
    release(compiled);
  }
}

export const yarax: PluginDef = {
  name: 'yarax',
  doc:
    'Scan files with YARA-X rules: one row per matching string {Rule, Meta, Tags, String {Name, Offset, HexData, Data}, File, ' +
    'FileName}. number= hits in all (default 1); context= bytes around each hit. Engine: YARA-X (@virustotal/yara-x, WebAssembly); ' +
    'runs on Linux, macOS and Windows. dll_path= is accepted and not used (the engine is built in).',
  args: {
    ...SCAN_ARGS,
    key: { type: 'string', doc: 'Cache key of the compiled rules (accepted; compiled rules are cached by their text here)' },
    namespace: { type: 'string', doc: 'The YARA-X namespace of the rules' },
    vars: { type: 'any', doc: 'External variables: a dict of booleans, numbers and strings' },
    dll_path: { type: 'any', doc: 'Path of Velociraptor\'s yara_x_capi library (accepted, never used: the engine is built in)' },
  },
  run,
};
