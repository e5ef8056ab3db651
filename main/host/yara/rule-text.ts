/**
 * YARA rule text for yara_lint(): a tokenizer that keeps every token's offsets, and a splitter
 * that cuts a rule set into its top-level items (imports, includes, rules) so that each kept
 * rule can be given back as the text it was written in.
 *
 * Lexical notes (libyara's lexer): comments are `//` and `/* *\/` (also inside hex strings);
 * text strings `"..."` have backslash escapes and end at the line; `/` always starts a regex
 * (YARA's division operator is `\`), which ends at the next unescaped `/` and takes `i`/`s`
 * flags; a `{` right after `=` starts a hex string, any other `{` opens a rule body.
 */

export type TokenKind = 'word' | 'string' | 'regex' | 'hex' | 'number' | 'punct' | 'comment';

export interface Token {
  kind: TokenKind;
  /** Offsets into the source: text is source.slice(start, end). */
  start: number;
  end: number;
  text: string;
  /** For hex strings: the comments inside (offsets). */
  comments?: Array<[number, number]>;
}

/** A rule set that cannot be tokenized or split: the offset, line and column (1-based) of the fault. */
export class RuleTextError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly line: number,
    readonly column: number,
  ) {
    super(`line ${line}:${column}: ${message}`);
  }
}

/** The 1-based line and column of an offset. */
export function lineColumn(src: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = src.indexOf('\n'); i >= 0 && i < offset; i = src.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function fail(src: string, offset: number, message: string): never {
  const { line, column } = lineColumn(src, offset);
  throw new RuleTextError(message, offset, line, column);
}

const PUNCT2 = new Set(['==', '!=', '<=', '>=', '<<', '>>', '..']);

/** The end of a block comment starting at `i`, or a RuleTextError. */
function blockCommentEnd(src: string, i: number): number {
  const e = src.indexOf('*/', i + 2);
  if (e < 0) fail(src, i, 'unterminated comment');
  return e + 2;
}

function lineCommentEnd(src: string, i: number): number {
  const e = src.indexOf('\n', i);
  return e < 0 ? src.length : e;
}

/** The end of a text string or regex opened by `quote` at `i`: escapes skipped, no newlines. */
function quotedEnd(src: string, i: number, quote: string, what: string): number {
  let j = i + 1;
  while (j < src.length) {
    const c = src[j]!;
    if (c === '\n') break;
    if (c === '\\') {
      if (src[j + 1] === '\n' || j + 1 >= src.length) break;
      j += 2;
      continue;
    }
    if (c === quote) return j + 1;
    j++;
  }
  return fail(src, i, `unterminated ${what}`);
}

/** The end of a hex string whose `{` is at `i`; the comments inside go to `comments`. */
function hexEnd(src: string, i: number, comments: Array<[number, number]>): number {
  let j = i + 1;
  while (j < src.length) {
    const c = j;
    if (src.startsWith('//', j)) comments.push([c, (j = lineCommentEnd(src, j))]);
    else if (src.startsWith('/*', j)) comments.push([c, (j = blockCommentEnd(src, j))]);
    else if (src[j] === '}') return j + 1;
    else j++;
  }
  return fail(src, i, 'unterminated hex string');
}

/** The tokens of a YARA source, comments included (kind 'comment'). Throws RuleTextError. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let prev: Token | undefined; // the last token that is not a comment
  const push = (kind: TokenKind, start: number, end: number) => {
    const t = { kind, start, end, text: src.slice(start, end) };
    out.push(t);
    if (kind !== 'comment') prev = t;
    return end;
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') i++;
    else if (src.startsWith('//', i)) i = push('comment', i, lineCommentEnd(src, i));
    else if (src.startsWith('/*', i)) i = push('comment', i, blockCommentEnd(src, i));
    else if (c === '"') i = push('string', i, quotedEnd(src, i, '"', 'string'));
    else if (c === '/') {
      let e = quotedEnd(src, i, '/', 'regular expression');
      while (/[a-z]/.test(src[e] ?? '')) e++;
      i = push('regex', i, e);
    } else if (c === '{' && prev?.kind === 'punct' && prev.text === '=') {
      const comments: Array<[number, number]> = [];
      i = push('hex', i, hexEnd(src, i, comments));
      if (comments.length) out[out.length - 1]!.comments = comments;
    } else if (/[0-9]/.test(c)) {
      const m = /^(0x[0-9a-fA-F]+|0o[0-7]+|[0-9]+(\.[0-9]+)?)(KB|MB)?/.exec(src.slice(i, i + 64))!;
      i = push('number', i, i + m[0].length);
    } else if (/[A-Za-z_]/.test(c) || (/[$#@!]/.test(c) && /[A-Za-z0-9_*]/.test(src[i + 1] ?? '') && src[i + 1] !== '=')) {
      const m = /^[$#@!]?[A-Za-z0-9_]*\*?/.exec(src.slice(i, i + 256))!;
      // A bare identifier does not take a `*` (that is multiplication); `$a*` does.
      const len = /^[A-Za-z_]/.test(m[0]) && m[0].endsWith('*') ? m[0].length - 1 : m[0].length;
      i = push('word', i, i + Math.max(1, len));
    } else if (c === '$') i = push('word', i, i + 1);
    else i = push('punct', i, i + (PUNCT2.has(src.slice(i, i + 2)) ? 2 : 1));
  }
  return out;
}

/** A top-level item. `textStart` includes the comments right before it (after the previous item). */
interface ItemBase {
  start: number;
  end: number;
  textStart: number;
  line: number;
}

export interface ImportItem extends ItemBase {
  kind: 'import';
  module: string;
}

export interface IncludeItem extends ItemBase {
  kind: 'include';
  path: string;
}

export interface Section {
  name: 'meta' | 'strings' | 'condition';
  /** Offset of the section keyword, and the end of its last token (comments included). */
  start: number;
  end: number;
}

export interface RuleItem extends ItemBase {
  kind: 'rule';
  name: string;
  modifiers: string[];
  tags: string[];
  sections: Section[];
  /** The rule's comments (offsets), for clean output. */
  comments: Array<[number, number]>;
  /** Identifiers of the condition that are not a field (not after `.`): rule names, modules... */
  conditionWords: Set<string>;
  /** Prefixes of rule-name wildcards in the condition (`any of (Foo*)`). */
  wildcards: string[];
  /** Identifiers followed by `.` or `[` in the condition (module uses, e.g. `hash` of hash.md5). */
  modulesUsed: Set<string>;
}

export type Item = ImportItem | IncludeItem | RuleItem;

/** A text string token's value (escapes undone, roughly: enough for module and file names). */
function stringValue(t: Token): string {
  return t.text.slice(1, -1).replace(/\\(.)/g, '$1');
}

const SECTIONS = new Set(['meta', 'strings', 'condition']);

/** Reads a rule's body: tokens from `{` (index `open`) to its `}`. Returns the index after `}`. */
function readBody(src: string, toks: Token[], open: number, rule: RuleItem): number {
  let depth = 0;
  let current: Section | undefined;
  for (let k = open; k < toks.length; k++) {
    const t = toks[k]!;
    if (t.kind === 'comment') {
      rule.comments.push([t.start, t.end]);
      if (current) current.end = t.end;
      continue;
    }
    if (t.kind === 'punct' && t.text === '{') depth++;
    else if (t.kind === 'punct' && t.text === '}') {
      depth--;
      if (depth === 0) {
        rule.end = t.end;
        return k + 1;
      }
    } else if (depth === 1 && t.kind === 'word' && SECTIONS.has(t.text) && toks[nextCode(toks, k)]?.text === ':') {
      current = { name: t.text as Section['name'], start: t.start, end: t.end };
      rule.sections.push(current);
      continue;
    }
    if (current) current.end = t.end;
    if (t.comments) rule.comments.push(...t.comments);
    if (current?.name === 'condition' && t.kind === 'word' && /^[A-Za-z_]/.test(t.text)) {
      const before = toks[prevCode(toks, k)];
      if (before?.text === '.') continue;
      const after = toks[nextCode(toks, k)];
      rule.conditionWords.add(t.text);
      if (after?.text === '.' || after?.text === '[') rule.modulesUsed.add(t.text);
      if (after?.text === '*' && [',', ')'].includes(toks[nextCode(toks, nextCode(toks, k))]?.text ?? '')) rule.wildcards.push(t.text);
    }
  }
  return fail(src, toks[open]!.start, `rule "${rule.name}": no closing }`);
}

function nextCode(toks: Token[], k: number): number {
  let j = k + 1;
  while (j < toks.length && toks[j]!.kind === 'comment') j++;
  return j;
}

function prevCode(toks: Token[], k: number): number {
  let j = k - 1;
  while (j >= 0 && toks[j]!.kind === 'comment') j--;
  return j;
}

/** Splits a rule set into its imports, includes and rules, in order. Throws RuleTextError. */
export function splitRules(src: string): Item[] {
  const toks = tokenize(src);
  const items: Item[] = [];
  let k = 0;
  let textStart = -1;
  const expect = (j: number, what: string, ok: (t: Token) => boolean): Token => {
    const t = toks[j];
    if (!t || !ok(t)) fail(src, t ? t.start : src.length, `expected ${what}${t ? `, found ${JSON.stringify(t.text.slice(0, 40))}` : ' before the end'}`);
    return t;
  };
  while (k < toks.length) {
    const t = toks[k]!;
    if (t.kind === 'comment') {
      if (textStart < 0) textStart = t.start;
      k++;
      continue;
    }
    const base = { start: t.start, textStart: textStart < 0 ? t.start : textStart, line: lineColumn(src, t.start).line };
    textStart = -1;
    if (t.kind === 'word' && (t.text === 'import' || t.text === 'include')) {
      const j = nextCode(toks, k);
      const s = expect(j, `a quoted name after ${t.text}`, (x) => x.kind === 'string');
      const item = t.text === 'import' ? { kind: 'import' as const, module: stringValue(s) } : { kind: 'include' as const, path: stringValue(s) };
      items.push({ ...base, ...item, end: s.end });
      k = j + 1;
      continue;
    }
    const modifiers: string[] = [];
    let j = k;
    while (toks[j]?.kind === 'word' && (toks[j]!.text === 'private' || toks[j]!.text === 'global')) {
      modifiers.push(toks[j]!.text);
      j = nextCode(toks, j);
    }
    expect(j, 'rule, import or include', (x) => x.kind === 'word' && x.text === 'rule');
    j = nextCode(toks, j);
    const name = expect(j, 'a rule name', (x) => x.kind === 'word' && /^[A-Za-z_]\w*$/.test(x.text)).text;
    j = nextCode(toks, j);
    const tags: string[] = [];
    if (toks[j]?.text === ':') {
      j = nextCode(toks, j);
      while (toks[j]?.kind === 'word' && /^[A-Za-z_]\w*$/.test(toks[j]!.text)) {
        tags.push(toks[j]!.text);
        j = nextCode(toks, j);
      }
    }
    expect(j, `{ after rule ${name}`, (x) => x.kind === 'punct' && x.text === '{');
    const rule: RuleItem = {
      ...base,
      kind: 'rule',
      end: 0,
      name,
      modifiers,
      tags,
      sections: [],
      comments: [],
      conditionWords: new Set(),
      wildcards: [],
      modulesUsed: new Set(),
    };
    // Comments between the header tokens belong to the rule too.
    for (let h = k; h < j; h++) if (toks[h]!.kind === 'comment') rule.comments.push([toks[h]!.start, toks[h]!.end]);
    k = readBody(src, toks, j, rule);
    items.push(rule);
  }
  return items;
}

/**
 * The source `src.slice(start, end)` with the ranges `cut` removed. A range that was alone on
 * its line(s) takes its line(s) with it; one at the end of a line takes the blanks before it;
 * one inside a line leaves one space where needed to keep tokens apart.
 */
export function removeRanges(src: string, start: number, end: number, cut: Array<[number, number]>): string {
  const isBlank = (s: string) => /^[ \t\r]*$/.test(s);
  const edits: Array<[number, number]> = [];
  for (const [a0, b0] of cut) {
    const lineStart = src.lastIndexOf('\n', a0 - 1) + 1;
    let lineEnd = src.indexOf('\n', b0);
    if (lineEnd < 0) lineEnd = src.length;
    const blankBefore = lineStart >= start && isBlank(src.slice(lineStart, a0));
    const blankAfter = lineEnd <= end && isBlank(src.slice(b0, lineEnd));
    if (blankBefore && blankAfter) edits.push([lineStart, Math.min(end, lineEnd + 1)]);
    else if (blankAfter) edits.push([a0 - (/[ \t]*$/.exec(src.slice(start, a0))?.[0].length ?? 0), b0]);
    else edits.push([a0, b0 + (/^[ \t]*/.exec(src.slice(b0, end))?.[0].length ?? 0)]);
  }
  edits.sort((x, y) => x[0] - y[0]);
  let out = '';
  let pos = start;
  for (const [a, b] of edits) {
    if (b <= pos) continue;
    const from = Math.max(a, pos);
    out += src.slice(pos, from);
    pos = b;
    const last = out[out.length - 1];
    const next = src[pos];
    if (last !== undefined && next !== undefined && pos < end && !/\s/.test(last) && !/\s/.test(next)) out += ' ';
  }
  return out + src.slice(pos, end);
}

/** A rule's text as written; with `clean`, without its meta section and comments. */
export function ruleText(src: string, rule: RuleItem, clean: boolean): string {
  if (!clean) return src.slice(rule.textStart, rule.end);
  const cut: Array<[number, number]> = [];
  const meta = rule.sections.filter((s) => s.name === 'meta');
  for (const m of meta) cut.push([m.start, m.end]);
  for (const [a, b] of rule.comments) if (!meta.some((m) => a >= m.start && b <= m.end)) cut.push([a, b]);
  return removeRanges(src, rule.start, rule.end, cut);
}
