/**
 * The YARA engine: libyara 4 compiled to WebAssembly (npm `libyara-wasm`, ISC, the build
 * CyberChef uses; 1.2 MB of JS with the WASM inside, no native code, so the same package runs
 * on Linux, macOS, Windows and in Electron). Loaded on first use.
 *
 * Its one entry point compiles the rules and scans one buffer per call: `scan(buffer, rules)`
 * gives the compile errors and warnings (with line numbers) or the matching rules, each with
 * its metadata (as text) and its string matches (identifier, offset, length). The matched bytes
 * are taken from our own buffer (the library returns them as text). Modules built in: pe,
 * elf, math, hash, time, console, dotnet.
 *
 * The library leaks about 10 MB of its WebAssembly heap per call (the compiled rules are never
 * freed), and a WebAssembly heap never shrinks: once the heap passes RECYCLE_BYTES the
 * instance is dropped (the garbage collector frees its memory) and the next scan loads a
 * fresh one (~20 ms).
 */
import type { Value } from '../../vql/index.ts';

export interface YaraMatch {
  identifier: string;
  offset: number;
  length: number;
}

export interface YaraRuleMatch {
  rule: string;
  meta: Array<[string, string]>;
  matches: YaraMatch[];
}

export interface YaraMessage {
  line: number;
  message: string;
  warning: boolean;
}

export interface ScanResult {
  errors: YaraMessage[];
  warnings: YaraMessage[];
  rules: YaraRuleMatch[];
}

/** The embind vectors the library returns. */
interface Vector<T> {
  size(): number;
  get(i: number): T;
  delete?(): void;
}

interface YaraModule {
  HEAP8: Int8Array;
  run(buffer: Uint8Array, rules: string): {
    compileErrors: Vector<{ message: string; lineNumber: number; warning: boolean }>;
    matchedRules: Vector<{
      ruleName: string;
      metadata: Vector<{ identifier: string; data: string }>;
      resolvedMatches: Vector<{ stringIdentifier: string; location: number; matchLength: number }>;
    }>;
    delete?(): void;
  };
}

/** A heap size past which the instance is replaced by a fresh one. */
export const RECYCLE_BYTES = 256 * 1024 * 1024;

let loading: Promise<YaraModule> | null = null;
/** Instances loaded so far (for tests of the recycling). */
export let instancesLoaded = 0;

/** Loads the WASM module once. Emscripten installs process-wide uncaughtException and
 * unhandledRejection handlers that rethrow: they are removed again, the engine's own apply. */
async function load(): Promise<YaraModule> {
  loading ??= (async () => {
    const mod = (await import('libyara-wasm')) as unknown as { default: () => Promise<YaraModule> };
    const before = {
      exception: new Set(process.listeners('uncaughtException')),
      rejection: new Set(process.listeners('unhandledRejection')),
    };
    try {
      const instance = await mod.default();
      instancesLoaded++;
      return instance;
    } finally {
      for (const l of process.listeners('uncaughtException')) if (!before.exception.has(l)) process.removeListener('uncaughtException', l);
      for (const l of process.listeners('unhandledRejection')) if (!before.rejection.has(l)) process.removeListener('unhandledRejection', l as (...a: unknown[]) => void);
    }
  })();
  try {
    return await loading;
  } catch (e) {
    loading = null;
    throw e;
  }
}

function list<T>(v: Vector<T>): T[] {
  const out: T[] = [];
  for (let i = 0; i < v.size(); i++) out.push(v.get(i));
  return out;
}

/** Compiles `rules` and scans `buffer` with them. Throws when the engine itself fails. */
export async function scan(buffer: Uint8Array, rules: string): Promise<ScanResult> {
  const yara = await load();
  let r;
  try {
    r = yara.run(buffer, rules);
  } catch (e) {
    // A WASM abort (out of memory...) leaves the module unusable: load a fresh one next time.
    loading = null;
    throw new Error(`the YARA engine failed: ${(e as Error).message}`);
  }
  // Every embind object is freed explicitly (they are C++ objects in the WebAssembly heap).
  const errors = r.compileErrors;
  const messages = list(errors).map((e) => ({ line: e.lineNumber, message: e.message, warning: e.warning }));
  errors.delete?.();
  const matched = r.matchedRules;
  const ruleMatches = list(matched).map((m) => {
    const meta = m.metadata;
    const matches = m.resolvedMatches;
    const out = {
      rule: m.ruleName,
      meta: list(meta).map((x) => [x.identifier, x.data] as [string, string]),
      matches: list(matches).map((x) => ({ identifier: x.stringIdentifier, offset: Number(x.location), length: Number(x.matchLength) })),
    };
    meta.delete?.();
    matches.delete?.();
    return out;
  });
  matched.delete?.();
  r.delete?.();
  if (yara.HEAP8.length > RECYCLE_BYTES) loading = null;
  return { errors: messages.filter((m) => !m.warning), warnings: messages.filter((m) => m.warning), rules: ruleMatches };
}

/** For `vql docs`-style reports: whether the engine loads here. */
export async function engineAvailable(): Promise<Value> {
  try {
    await load();
    return true;
  } catch {
    return false;
  }
}
