/**
 * The parser of Go's text/template language, for template() (go-template-exec.ts runs the
 * tree). It covers the language as Go documents it: text and `{{ }}` actions with the `{{- `
 * / ` -}}` trim markers, comments, pipelines (`a | b c`), fields (`.A.B`), variables
 * (`$x := ...`, `$x = ...`, `$`), literals (strings, raw strings, chars, numbers, true, false,
 * nil), parenthesized pipelines with fields (`(f .X).Y`), and `if` / `else if` / `else`,
 * `range` (with `$i, $v :=`, `break`, `continue`), `with` (and `else with`), `define`,
 * `template`, `block` and `end`.
 *
 * Errors are TemplateError with Go's shape: `template: :LINE: message`.
 */

export class TemplateError extends Error {}

export type Arg =
  | { kind: 'field'; names: string[] }
  | { kind: 'var'; name: string; names: string[] }
  | { kind: 'dot' }
  | { kind: 'ident'; name: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number; text: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'nil' }
  | { kind: 'pipe'; pipe: Pipe; names: string[] };

export interface Command {
  readonly args: Arg[];
}

export interface Pipe {
  readonly line: number;
  readonly decl: string[];
  readonly assign: boolean;
  readonly cmds: Command[];
}

export type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipe }
  | { kind: 'if' | 'with'; pipe: Pipe; list: Node[]; elseList: Node[] | null }
  | { kind: 'range'; pipe: Pipe; list: Node[]; elseList: Node[] | null }
  | { kind: 'template'; name: string; pipe: Pipe | null; line: number }
  | { kind: 'break' | 'continue'; line: number };

export interface ParsedTemplate {
  readonly root: Node[];
  readonly defines: Map<string, Node[]>;
}

// ---- lexer ----------------------------------------------------------------------------------

type Tok =
  | { t: 'text'; v: string }
  | { t: 'open'; line: number }
  | { t: 'close' }
  | { t: 'field'; v: string }
  | { t: 'var'; v: string }
  | { t: 'dot' }
  | { t: 'ident'; v: string }
  | { t: 'string'; v: string }
  | { t: 'number'; v: number; text: string }
  | { t: 'lparen' }
  | { t: 'rparen' }
  | { t: 'pipe' }
  | { t: 'declare' }
  | { t: 'assign' }
  | { t: 'comma' }
  | { t: 'space' };

const SPACE = ' \t\r\n';

function lineAt(src: string, pos: number): number {
  let n = 1;
  for (let i = 0; i < pos && i < src.length; i++) if (src.charCodeAt(i) === 10) n++;
  return n;
}

/** Go's strconv.Unquote for a "..." literal. */
function unquote(lit: string, line: number): string {
  let out = '';
  for (let i = 1; i < lit.length - 1; i++) {
    const c = lit[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = lit[++i]!;
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };
    if (n in simple) out += simple[n];
    else if (n === 'x') {
      out += String.fromCharCode(parseInt(lit.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (n === 'u' || n === 'U') {
      const len = n === 'u' ? 4 : 8;
      out += String.fromCodePoint(parseInt(lit.slice(i + 1, i + 1 + len), 16));
      i += len;
    } else if (/[0-7]/.test(n)) {
      out += String.fromCharCode(parseInt(lit.slice(i, i + 3), 8));
      i += 2;
    } else throw new TemplateError(`template: :${line}: invalid syntax ${lit}`);
  }
  return out;
}

function lex(src: string): Tok[] {
  const toks: Tok[] = [];
  let pos = 0;
  let trimNext = false;
  while (pos < src.length) {
    let open = src.indexOf('{{', pos);
    if (open < 0) open = src.length;
    let text = src.slice(pos, open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    const leftTrim = open < src.length && src[open + 2] === '-' && SPACE.includes(src[open + 3] ?? '');
    if (leftTrim) text = text.replace(/[ \t\r\n]+$/, '');
    if (text) toks.push({ t: 'text', v: text });
    if (open >= src.length) break;
    const line = lineAt(src, open);
    pos = open + 2 + (leftTrim ? 2 : 0);
    // A comment fills the whole action.
    if (src.startsWith('/*', pos)) {
      const end = src.indexOf('*/', pos + 2);
      if (end < 0) throw new TemplateError(`template: :${line}: unclosed comment`);
      const after = end + 2;
      if (src.startsWith('}}', after)) pos = after + 2;
      else if (/^[ \t\r\n]-\}\}/.test(src.slice(after, after + 4))) {
        trimNext = true;
        pos = after + 4;
      } else throw new TemplateError(`template: :${line}: comment ends before closing delimiter`);
      continue;
    }
    toks.push({ t: 'open', line });
    for (;;) {
      if (pos >= src.length) throw new TemplateError(`template: :${line}: unclosed action`);
      const c = src[pos]!;
      if (SPACE.includes(c)) {
        // ` -}}`: right trim marker.
        let p = pos;
        while (SPACE.includes(src[p] ?? 'x')) p++;
        if (src.startsWith('-}}', p)) {
          toks.push({ t: 'close' });
          trimNext = true;
          pos = p + 3;
          break;
        }
        if (toks[toks.length - 1]?.t !== 'space') toks.push({ t: 'space' });
        pos = p;
        continue;
      }
      if (src.startsWith('}}', pos)) {
        toks.push({ t: 'close' });
        pos += 2;
        break;
      }
      if (c === '(') toks.push({ t: 'lparen' });
      else if (c === ')') toks.push({ t: 'rparen' });
      else if (c === '|') toks.push({ t: 'pipe' });
      else if (c === ',') toks.push({ t: 'comma' });
      else if (c === ':' && src[pos + 1] === '=') {
        toks.push({ t: 'declare' });
        pos++;
      } else if (c === '=') toks.push({ t: 'assign' });
      else if (c === '"') {
        let e = pos + 1;
        while (e < src.length && src[e] !== '"') {
          if (src[e] === '\\') e++;
          if (src[e] === '\n') throw new TemplateError(`template: :${line}: unterminated quoted string`);
          e++;
        }
        if (e >= src.length) throw new TemplateError(`template: :${line}: unterminated quoted string`);
        toks.push({ t: 'string', v: unquote(src.slice(pos, e + 1), line) });
        pos = e;
      } else if (c === '`') {
        const e = src.indexOf('`', pos + 1);
        if (e < 0) throw new TemplateError(`template: :${line}: unterminated raw quoted string`);
        toks.push({ t: 'string', v: src.slice(pos + 1, e) });
        pos = e;
      } else if (c === "'") {
        const m = /^'(\\.|\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|[^\\'])'/u.exec(src.slice(pos));
        if (!m) throw new TemplateError(`template: :${line}: unterminated character constant`);
        const ch = unquote('"' + m[1] + '"', line);
        toks.push({ t: 'number', v: ch.codePointAt(0)!, text: m[0] });
        pos += m[0].length - 1;
      } else if (c === '.' && /[A-Za-z_]/.test(src[pos + 1] ?? '')) {
        const m = /^\.[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(pos))!;
        toks.push({ t: 'field', v: m[0].slice(1) });
        pos += m[0].length - 1;
      } else if (c === '$') {
        const m = /^\$[A-Za-z0-9_]*/.exec(src.slice(pos))!;
        toks.push({ t: 'var', v: m[0] });
        pos += m[0].length - 1;
      } else if (/[0-9+\-.]/.test(c) && /^[+-]?\.?[0-9]/.test(src.slice(pos))) {
        const m = /^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|([0-9_]*\.?[0-9_]*([eE][+-]?[0-9]+)?))/.exec(src.slice(pos))!;
        const text = m[0];
        const clean = text.replace(/_/g, '');
        const v = /^[+-]?0[xXbBoO]/.test(clean) ? Number(clean.replace(/^([+-]?)/, '$1')) : Number(clean);
        if (Number.isNaN(v)) throw new TemplateError(`template: :${line}: bad number syntax: ${JSON.stringify(text)}`);
        toks.push({ t: 'number', v, text });
        pos += text.length - 1;
      } else if (c === '.') toks.push({ t: 'dot' });
      else if (/[A-Za-z_]/.test(c)) {
        const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(pos))!;
        toks.push({ t: 'ident', v: m[0] });
        pos += m[0].length - 1;
      } else throw new TemplateError(`template: :${line}: unexpected ${JSON.stringify(c)} in command`);
      pos++;
    }
  }
  return toks;
}

// ---- parser ---------------------------------------------------------------------------------

class Parser {
  private i = 0;
  readonly defines = new Map<string, Node[]>();
  private rangeDepth = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }
  private next(): Tok {
    const t = this.toks[this.i++];
    if (!t) throw new TemplateError('template: unexpected EOF');
    return t;
  }
  private skipSpace(): void {
    while (this.peek()?.t === 'space') this.i++;
  }

  /** Parses a list of nodes up to one of the `stops` keywords (or the end). */
  list(stops: string[]): { nodes: Node[]; stop: string; line: number } {
    const nodes: Node[] = [];
    while (this.i < this.toks.length) {
      const t = this.next();
      if (t.t === 'text') {
        nodes.push({ kind: 'text', text: t.v });
        continue;
      }
      if (t.t !== 'open') throw new TemplateError('template: internal error: expected an action');
      const line = t.line;
      this.skipSpace();
      const kw = this.peek();
      const word = kw?.t === 'ident' ? kw.v : '';
      if (['end', 'else'].includes(word)) {
        if (!stops.includes(word)) throw new TemplateError(`template: :${line}: unexpected {{${word}}}`);
        this.i++;
        return { nodes, stop: word, line };
      }
      switch (word) {
        case 'if':
        case 'with':
        case 'range':
          this.i++;
          nodes.push(this.control(word, line));
          break;
        case 'define': {
          this.i++;
          const name = this.nameArg(line, 'define');
          this.closeAction(line);
          const body = this.list(['end']);
          this.closeAction(body.line);
          this.defines.set(name, body.nodes);
          break;
        }
        case 'template':
        case 'block': {
          this.i++;
          const name = this.nameArg(line, word);
          this.skipSpace();
          const pipe = this.peek()?.t === 'close' ? null : this.pipeline(line, false);
          this.closeAction(line);
          if (word === 'block') {
            const body = this.list(['end']);
            this.closeAction(body.line);
            this.defines.set(name, body.nodes);
          }
          nodes.push({ kind: 'template', name, pipe, line });
          break;
        }
        case 'break':
        case 'continue':
          if (this.rangeDepth === 0) throw new TemplateError(`template: :${line}: {{${word}}} outside {{range}}`);
          this.i++;
          this.closeAction(line);
          nodes.push({ kind: word, line });
          break;
        default:
          nodes.push({ kind: 'action', pipe: this.pipeline(line, true) });
          this.closeAction(line);
      }
    }
    if (stops.length) throw new TemplateError(`template: unexpected EOF`);
    return { nodes, stop: '', line: 0 };
  }

  private nameArg(line: number, what: string): string {
    this.skipSpace();
    const t = this.next();
    if (t.t !== 'string') throw new TemplateError(`template: :${line}: unexpected name in ${what} clause: want a quoted string`);
    return t.v;
  }

  private closeAction(line: number): void {
    this.skipSpace();
    const t = this.next();
    if (t.t !== 'close') throw new TemplateError(`template: :${line}: unexpected ${describeTok(t)} in action`);
  }

  private control(kind: 'if' | 'with' | 'range', line: number): Node {
    const pipe = this.pipeline(line, kind === 'range' || kind === 'with' || kind === 'if');
    this.closeAction(line);
    if (kind === 'range') this.rangeDepth++;
    const body = this.list(['end', 'else']);
    if (kind === 'range') this.rangeDepth--;
    let elseList: Node[] | null = null;
    if (body.stop === 'else') {
      this.skipSpace();
      const t = this.peek();
      // `{{else if ...}}` / `{{else with ...}}`: an else branch holding one nested control.
      if ((kind === 'if' || kind === 'with') && t?.t === 'ident' && t.v === kind) {
        this.i++;
        elseList = [this.control(kind, body.line)];
        return { kind, pipe, list: body.nodes, elseList };
      }
      this.closeAction(body.line);
      const rest = this.list(['end']);
      this.closeAction(rest.line);
      elseList = rest.nodes;
    } else {
      this.closeAction(body.line);
    }
    return { kind, pipe, list: body.nodes, elseList };
  }

  /** A pipeline up to `}}` or `)`: optional declaration, then commands separated by `|`. */
  pipeline(line: number, allowDecl: boolean): Pipe {
    this.skipSpace();
    const decl: string[] = [];
    let assign = false;
    if (allowDecl && this.peek()?.t === 'var') {
      const save = this.i;
      const vars: string[] = [];
      let ok = false;
      for (;;) {
        const v = this.next();
        if (v.t !== 'var') break;
        vars.push(v.v);
        this.skipSpace();
        const t = this.peek();
        if (t?.t === 'declare' || t?.t === 'assign') {
          assign = t.t === 'assign';
          this.i++;
          ok = true;
          break;
        }
        if (t?.t === 'comma' && vars.length < 2) {
          this.i++;
          this.skipSpace();
          continue;
        }
        break;
      }
      if (ok) decl.push(...vars);
      else {
        this.i = save;
        assign = false;
      }
    }
    const cmds: Command[] = [];
    for (;;) {
      this.skipSpace();
      const args: Arg[] = [];
      for (;;) {
        const t = this.peek();
        if (!t || t.t === 'close' || t.t === 'rparen' || t.t === 'pipe') break;
        if (t.t === 'space') {
          this.i++;
          continue;
        }
        args.push(this.operand(line));
      }
      if (args.length === 0) throw new TemplateError(`template: :${line}: missing value for command`);
      cmds.push({ args });
      if (this.peek()?.t === 'pipe') {
        this.i++;
        continue;
      }
      break;
    }
    return { line, decl, assign, cmds };
  }

  private operand(line: number): Arg {
    const t = this.next();
    let arg: Arg;
    switch (t.t) {
      case 'field': {
        const names = [t.v];
        while (this.peek()?.t === 'field') names.push((this.next() as { v: string }).v);
        return { kind: 'field', names };
      }
      case 'var':
        arg = { kind: 'var', name: t.v, names: [] };
        break;
      case 'dot':
        arg = { kind: 'dot' };
        break;
      case 'ident':
        if (t.v === 'true' || t.v === 'false') arg = { kind: 'bool', value: t.v === 'true' };
        else if (t.v === 'nil') arg = { kind: 'nil' };
        else arg = { kind: 'ident', name: t.v };
        break;
      case 'string':
        arg = { kind: 'string', value: t.v };
        break;
      case 'number':
        arg = { kind: 'number', value: t.v, text: t.text };
        break;
      case 'lparen': {
        const pipe = this.pipeline(line, true);
        this.skipSpace();
        if (this.next().t !== 'rparen') throw new TemplateError(`template: :${line}: unclosed left paren`);
        arg = { kind: 'pipe', pipe, names: [] };
        break;
      }
      default:
        throw new TemplateError(`template: :${line}: unexpected ${describeTok(t)} in operand`);
    }
    // Field chains on a variable or a parenthesized pipeline: `$x.A.B`, `(f).A`.
    if (arg.kind === 'var' || arg.kind === 'pipe') {
      while (this.peek()?.t === 'field') arg.names.push((this.next() as { v: string }).v);
    }
    return arg;
  }
}

function describeTok(t: Tok): string {
  switch (t.t) {
    case 'close':
      return '"}}"';
    case 'rparen':
      return '")"';
    case 'ident':
    case 'string':
    case 'field':
    case 'var':
      return JSON.stringify(t.v);
    default:
      return t.t;
  }
}

/** Parses a template's text. Throws TemplateError. */
export function parseTemplate(src: string): ParsedTemplate {
  const p = new Parser(lex(src));
  const { nodes } = p.list([]);
  return { root: nodes, defines: p.defines };
}
