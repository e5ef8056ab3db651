/**
 * Completion of VQL: plugin and function names (with signature and description), keywords, and
 * inside `name(` the callee's argument names as `arg=` (with type and doc). The engine's
 * declarations come from `docs:completions`; the logic here is pure and tested in Node.
 */
import { syntaxTree } from '@codemirror/language';
import type { CompletionContext, CompletionResult, CompletionSource } from '@codemirror/autocomplete';
import type { EditorState } from '@codemirror/state';
import type { SyntaxNode } from '@lezer/common';
import type { CompletionEntry } from '../../../main/ipc/contract.ts';
import { VQL_KEYWORDS } from './vql-stream.ts';

/** One offered completion (the subset of CodeMirror's Completion used here). */
export interface VqlOption {
  label: string;
  type: 'class' | 'function' | 'keyword' | 'property';
  detail: string;
  info?: string;
  boost?: number;
}

/** Options, and where (an offset into the text before the cursor) the replaced word starts. */
export interface VqlCompletion {
  from: number;
  options: VqlOption[];
  validFor: RegExp;
}

// Strings and comments are skipped whole; dotted names are one token (Artifact.X.Y).
const TOKEN = /\/\*[\s\S]*?(?:\*\/|$)|--[^\n]*|\/\/[^\n]*|'''[\s\S]*?(?:'''|$)|'(?:\\[\s\S]|[^'\\])*'?|"(?:\\[\s\S]|[^"\\])*"?|`[^`]*`?|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\.?|\d[\w.]*|=~|=>|<=|>=|!=|\s+|[\s\S]/g;

interface Frame {
  callee: string | null;
  given: Set<string>;
}

/** What the cursor is in: the open brackets (innermost last) and the last significant token. */
function scan(before: string): { stack: Frame[]; prev: string; partial: string } {
  const stack: Frame[] = [];
  const sig: string[] = [];
  for (const m of before.matchAll(TOKEN)) {
    const t = m[0];
    if (/^\s/.test(t) || t.startsWith('/*') || t.startsWith('--') || t.startsWith('//')) continue;
    const last = sig[sig.length - 1];
    if (t === '(') stack.push({ callee: last && /^[A-Za-z_]/.test(last) ? last : null, given: new Set() });
    else if (t === '{' || t === '[') stack.push({ callee: null, given: new Set() });
    else if (t === ')' || t === '}' || t === ']') stack.pop();
    else if (t === '=' && last && /^\w+$/.test(last) && ['(', ','].includes(sig[sig.length - 2] ?? '')) {
      stack[stack.length - 1]?.given.add(last);
    }
    sig.push(t);
  }
  const partial = /[A-Za-z_][\w.]*$/.exec(before)?.[0] ?? '';
  if (partial) sig.pop();
  return { stack, prev: sig[sig.length - 1] ?? '', partial };
}

function nameOption(e: CompletionEntry): VqlOption {
  return {
    label: e.name,
    type: e.kind === 'plugin' ? 'class' : 'function',
    detail: e.kind,
    info: e.doc ? `${e.signature}\n\n${e.doc}` : e.signature,
  };
}

function argOptions(entry: CompletionEntry, given: Set<string>): VqlOption[] {
  return entry.args
    .filter((a) => !given.has(a.name))
    .map((a) => ({
      label: `${a.name}=`,
      type: 'property' as const,
      detail: a.required ? `${a.type} (required)` : a.type,
      info: a.doc || undefined,
      boost: a.required ? 1 : 0,
    }));
}

/**
 * Completions at the end of `before` (the VQL text up to the cursor). Names need a typed prefix
 * unless `explicit` (Ctrl-Space). Returns null when nothing fits.
 *
 * @example completeVql('SELECT * FROM range(', entries, false) // options start=, end=, step=
 */
export function completeVql(before: string, entries: readonly CompletionEntry[], explicit: boolean): VqlCompletion | null {
  const { stack, prev, partial } = scan(before);
  const from = before.length - partial.length;
  const frame = stack[stack.length - 1];
  if (frame?.callee && (prev === '(' || prev === ',') && !partial.includes('.')) {
    // Argument-name position: VQL call arguments are always named.
    const callee = entries.filter((e) => e.name === frame.callee);
    const options = callee.flatMap((e) => argOptions(e, frame.given));
    const unique = [...new Map(options.map((o) => [o.label, o])).values()];
    return unique.length ? { from, options: unique, validFor: /^\w*$/ } : null;
  }
  if (!partial && !explicit) return null;
  const afterFrom = /^from$/i.test(prev);
  const names = entries.filter((e) => !afterFrom || e.kind === 'plugin').map(nameOption);
  const keywords: VqlOption[] = afterFrom ? [] : VQL_KEYWORDS.map((k) => ({ label: k, type: 'keyword', detail: 'keyword', boost: -1 }));
  return { from, options: [...names, ...keywords], validFor: /^[\w.]*$/ };
}

/**
 * Where the VQL around `pos` starts: the start of the YAML scalar holding it inside an artifact,
 * or the document start in plain VQL. Keeps the bracket scan out of the surrounding YAML.
 */
export function vqlRegionStart(state: EditorState, pos: number): number {
  // A nested VQL tree replaces the YAML scalar node; the innermost top node is its root, which
  // starts where the VQL starts (in plain VQL it is the document).
  for (let n: SyntaxNode | null = syntaxTree(state).resolve(pos, -1); n; n = n.parent) {
    if (n.type.isTop) return n.from;
  }
  return 0;
}

/** A CodeMirror completion source over the engine's declarations (fetched once, lazily). */
export function vqlCompletionSource(entries: () => Promise<readonly CompletionEntry[]>): CompletionSource {
  return async (ctx: CompletionContext): Promise<CompletionResult | null> => {
    const start = vqlRegionStart(ctx.state, ctx.pos);
    const r = completeVql(ctx.state.sliceDoc(start, ctx.pos), await entries(), ctx.explicit);
    return r && { from: start + r.from, options: r.options, validFor: r.validFor };
  };
}
