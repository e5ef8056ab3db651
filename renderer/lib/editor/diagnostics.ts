/**
 * Problems (1-based line and column, from `vql:check`, `artifacts:check` or a failed run) as
 * editor diagnostics: the underline starts at the reported column and covers the token there,
 * so `found 'range'` underlines `range` and `unknown field 'source'` underlines `source`.
 * Errors (parse, loader) underline as `.cm-lintRange-error`; the static call checks (unknown
 * plugins, arguments, artifacts) are warnings and underline as `.cm-lintRange-warning`.
 */
import type { Text } from '@codemirror/state';
import type { Diagnostic } from '@codemirror/lint';
import type { Problem, Result } from '../../../main/ipc/contract.ts';

/** A document range. */
export interface Range {
  from: number;
  to: number;
}

const WORD = /[A-Za-z0-9_]/;

/**
 * The range to underline for a problem at `line`:`column` (1-based, UTF-16 columns as the
 * engine reports them). Out-of-range positions are clamped into the document. At a word the
 * range is the word; at a string its quoted text; at another character that character; at
 * the end of a line (an "end of input" error) the last token before it. A dotted name is one word.
 */
export function problemRange(doc: Text, line: number, column: number): Range {
  const l = doc.line(Math.min(Math.max(1, Math.trunc(line) || 1), doc.lines));
  const text = l.text;
  let at = Math.min(Math.max(0, (Math.trunc(column) || 1) - 1), text.length);
  if (text.slice(at).trim() === '') {
    // Nothing left on the line: step back to the last token before the position.
    let end = at;
    while (end > 0 && /\s/.test(text[end - 1]!)) end--;
    if (end === 0) return { from: l.from + at, to: l.from + at };
    // The whole last token: a word, or a run of operator characters (`=~`).
    const word = WORD.test(text[end - 1]!);
    let start = end - 1;
    while (start > 0 && !/\s/.test(text[start - 1]!) && WORD.test(text[start - 1]!) === word) start--;
    return { from: l.from + start, to: l.from + end };
  }
  while (/\s/.test(text[at]!)) at++;
  const c = text[at]!;
  let end = at + 1;
  if (WORD.test(c)) {
    // A dotted name (`Artifact.Generic.Client.Stats`) is underlined whole: a problem about a
    // call names all of it.
    while (end < text.length && (WORD.test(text[end]!) || (text[end] === '.' && WORD.test(text[end + 1] ?? '')))) end++;
  } else if (c === "'" || c === '"') {
    const close = text.indexOf(c, at + 1);
    end = close < 0 ? text.length : close + 1;
  }
  return { from: l.from + at, to: l.from + end };
}

/** Problems as @codemirror/lint diagnostics for the document they were computed for. */
export function problemsToDiagnostics(doc: Text, problems: readonly Problem[]): Diagnostic[] {
  return problems.map((p) => ({
    ...problemRange(doc, p.line, p.column),
    severity: p.severity,
    message: `${p.message} (line ${p.line}, column ${p.column})`,
    source: 'vql',
  }));
}

/**
 * The problems of a check's reply, or null when the check could not run (no connection). A text
 * over the request limit is not sent at all (renderer/lib/api.ts): it gets one warning at the
 * top saying so, instead of silently losing its checks.
 */
export function checkedProblems(r: Result<Problem[]>): Problem[] | null {
  if (r.ok) return r.value;
  if (r.error.code === 'TooLarge') return [{ line: 1, column: 1, severity: 'warning', message: `not checked as you type: ${r.error.message}` }];
  return null;
}
