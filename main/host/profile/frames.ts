/**
 * Stack frames in Velociraptor's `CallStack` shape: `{Name, File, Line}` dicts, innermost
 * first (as Go's pprof locations). From V8 profile call frames (0-based line numbers, `file://`
 * URLs) and from live call sites (this thread's current stack).
 */
import { fileURLToPath } from 'node:url';
import { VDict } from '../../vql/index.ts';

/** A V8 inspector call frame (Runtime.CallFrame). */
export interface V8CallFrame {
  readonly functionName: string;
  readonly url: string;
  /** 0-based; -1 when unknown. */
  readonly lineNumber: number;
}

/** A path for a script URL: file:// URLs become paths; node:internal/... and '' stay as they are. */
export function scriptFile(url: string): string {
  if (!url.startsWith('file://')) return url;
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}

/** One `{Name, File, Line}` frame. */
export function frame(name: string, file: string, line: number): VDict {
  return new VDict([
    ['Name', name || '(anonymous)'],
    ['File', file],
    ['Line', line],
  ]);
}

/** The frame of a V8 profile call frame (Line 1-based, 0 when unknown). */
export function frameOfCallFrame(cf: V8CallFrame): VDict {
  return frame(cf.functionName, scriptFile(cf.url), cf.lineNumber >= 0 ? cf.lineNumber + 1 : 0);
}

/** Frames deeper than this are left out of a live stack. */
const MAX_FRAMES = 200;

/**
 * This thread's stack where it is called from (the caller's frame first), as frames. Uses V8's
 * structured call sites; the stack trace hooks are restored before returning.
 */
export function currentStack(): VDict[] {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  let sites: NodeJS.CallSite[] = [];
  try {
    Error.stackTraceLimit = MAX_FRAMES;
    Error.prepareStackTrace = (_e, cs) => cs;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, currentStack);
    sites = (holder.stack as NodeJS.CallSite[] | undefined) ?? [];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  return sites.map((s) => {
    const fn = s.getFunctionName() ?? '';
    const type = s.getTypeName();
    const name = type && fn && !s.isToplevel() ? `${type}.${fn}` : fn;
    return frame(s.isAsync() ? `async ${name}` : name, scriptFile(s.getFileName() ?? ''), s.getLineNumber() ?? 0);
  });
}
