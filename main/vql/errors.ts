/**
 * The VqlError family. Errors are told apart by `code`, not `instanceof`, because they cross
 * IPC and process boundaries as plain objects (see `serializeError`).
 */
import type { Span } from './ast/nodes.ts';

export type VqlErrorCode =
  | 'LexError'
  | 'ParseError'
  | 'EvalError'
  | 'ArgError'
  | 'PluginError'
  | 'Cancelled';

/** A line/column position, both 1-based. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Base class of every error the engine raises. */
export class VqlError extends Error {
  readonly code: VqlErrorCode;
  readonly span?: Span;
  readonly source?: string;

  constructor(code: VqlErrorCode, message: string, span?: Span, source?: string) {
    super(message);
    this.name = code;
    this.code = code;
    this.span = span;
    this.source = source;
  }

  /** Line and column of the span start, when the span and source are known. */
  get position(): Position | undefined {
    if (!this.span || this.source === undefined) return undefined;
    return positionAt(this.source, this.span.start);
  }
}

/** A character sequence no token class matches. Stops compilation. */
export class LexError extends VqlError {
  constructor(message: string, span: Span, source: string) {
    super('LexError', message, span, source);
  }
}

/** The tokens do not form a valid statement. Stops compilation. */
export class ParseError extends VqlError {
  constructor(message: string, span: Span, source: string) {
    super('ParseError', message, span, source);
  }
}

/** 1-based line and column (in UTF-16 code units) of an offset into `source`. */
export function positionAt(source: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * Renders `message (line L, col C)` followed by the source line and a caret under the
 * error position. Errors without a span render as their message alone.
 */
export function formatError(err: { message: string; span?: Span; source?: string }): string {
  if (!err.span || err.source === undefined) return err.message;
  const { line, column } = positionAt(err.source, err.span.start);
  const lines = err.source.split('\n');
  const text = (lines[line - 1] ?? '').replace(/\r$/, '');
  const width = Math.max(1, Math.min(err.span.end, err.span.start + text.length) - err.span.start);
  const caretLen = Math.min(width, Math.max(1, text.length - column + 1));
  const pad = text.slice(0, column - 1).replace(/[^\t]/g, ' ');
  return `${err.message} (line ${line}, col ${column})\n${text}\n${pad}${'^'.repeat(caretLen)}`;
}

/** The plain-object form of an error, safe to send over IPC or print as JSON. */
export interface SerializedError {
  code: string;
  message: string;
  span?: Span;
  line?: number;
  column?: number;
}

/** Converts any thrown value into a SerializedError. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof VqlError) {
    const pos = err.position;
    return { code: err.code, message: err.message, span: err.span, line: pos?.line, column: pos?.column };
  }
  if (err instanceof Error) return { code: err.name || 'Error', message: err.message };
  return { code: 'Error', message: String(err) };
}
