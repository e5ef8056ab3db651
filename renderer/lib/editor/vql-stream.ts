/**
 * VQL highlighting as a CodeMirror stream parser: the token classes of SPEC 2.1 (comments,
 * keywords, numbers, identifiers, operators, raw strings, strings), line by line with the
 * state a multi-line comment or string needs. Highlighting only: the engine's own lexer and
 * parser (through `vql:check`) decide what is valid, so this errs on the side of colouring.
 */
import type { StreamParser, StringStream } from '@codemirror/language';

/** What is still open at the end of a line. */
export interface VqlStreamState {
  /** Inside `/* ... *\/`, `'''...'''`, or a quoted string (its quote character). */
  open: null | 'comment' | 'raw' | "'" | '"';
}

/** Keywords of SPEC 2.1 (single words; GROUP BY and ORDER BY are matched as pairs). */
const KEYWORDS = new Set(['EXPLAIN', 'SELECT', 'WHERE', 'AND', 'OR', 'FROM', 'NOT', 'AS', 'IN', 'LIMIT', 'DESC', 'LET']);
const ATOMS = new Set(['NULL', 'TRUE', 'FALSE']);

/** Upper-case keyword list, for keyword completion. */
export const VQL_KEYWORDS: readonly string[] = [...KEYWORDS, ...ATOMS, 'GROUP BY', 'ORDER BY'];

function until(stream: StringStream, end: string, state: VqlStreamState, style: string): string {
  const rest = stream.string.slice(stream.pos);
  const at = rest.indexOf(end);
  if (at < 0) {
    stream.skipToEnd();
  } else {
    stream.pos += at + end.length;
    state.open = null;
  }
  return style;
}

function quoted(stream: StringStream, quote: string, state: VqlStreamState): string {
  // A backslash escapes the next character (SPEC 2.4); strings may span lines.
  let escaped = false;
  while (!stream.eol()) {
    const c = stream.next()!;
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === quote) {
      state.open = null;
      return 'string';
    }
  }
  return 'string';
}

function word(stream: StringStream): string {
  if (stream.match(/^(group|order)\s+by\b/i)) return 'keyword';
  stream.match(/^[A-Za-z_]\w*/);
  const upper = stream.current().toUpperCase();
  if (KEYWORDS.has(upper)) return 'keyword';
  if (ATOMS.has(upper)) return 'atom';
  // A name directly followed by `(` is a call (plugin or function).
  if (stream.match(/^\s*\(/, false)) return 'variableName.function';
  return 'variableName';
}

/** The VQL stream parser (feed it to `StreamLanguage.define`). */
export const vqlStreamParser: StreamParser<VqlStreamState> = {
  name: 'vql',
  startState: () => ({ open: null }),
  copyState: (s) => ({ open: s.open }),
  token(stream, state) {
    if (state.open === 'comment') return until(stream, '*/', state, 'comment');
    if (state.open === 'raw') return until(stream, "'''", state, 'string');
    if (state.open === "'" || state.open === '"') return quoted(stream, state.open, state);
    if (stream.eatSpace()) return null;
    if (stream.match('/*')) {
      state.open = 'comment';
      return until(stream, '*/', state, 'comment');
    }
    if (stream.match('--') || stream.match('//')) {
      stream.skipToEnd();
      return 'comment';
    }
    if (stream.match("'''")) {
      state.open = 'raw';
      return until(stream, "'''", state, 'string');
    }
    const c = stream.peek()!;
    if (c === "'" || c === '"') {
      stream.next();
      state.open = c;
      return quoted(stream, c, state);
    }
    if (c === '`') {
      stream.next();
      stream.skipTo('`') ? stream.next() : stream.skipToEnd();
      return 'variableName.special';
    }
    if (stream.match(/^(0x[0-9a-fA-F]+|\d*\.?\d+(?:e[+-]?\d+)?)/)) return 'number';
    if (/[A-Za-z_]/.test(c)) return word(stream);
    if (stream.match(/^(<>|!=|<=|>=|=>|=~|\|+|&&)/) || stream.match(/^[-+:*/%=<>.]/)) return 'operator';
    if (stream.match(/^[(){}[\]]/)) return 'bracket';
    if (stream.match(',')) return 'punctuation';
    stream.next();
    return 'invalid';
  },
  languageData: { commentTokens: { line: '//', block: { open: '/*', close: '*/' } } },
};
