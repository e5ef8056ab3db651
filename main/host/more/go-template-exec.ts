/**
 * Runs a parsed Go text/template (go-template-parse.ts) over VQL values, as Go's
 * text/template would run it over the same data:
 *
 * - `.Name` on a dict is the key's value, on a host object its member; a missing key is "no
 *   value" and prints `<no value>` (Go's default `missingkey` option); NULL prints the same.
 * - Values print in Go's `%v` form (the engine's gofmt); `if`/`with`/`and`/`or` use Go's
 *   truth (false, 0, "", NULL, empty list or dict are false).
 * - `range` walks a list, a dict (keys sorted, as Go ranges over a map), an integer (0..n-1),
 *   or a query's rows; NULL runs the `else` branch.
 * - The functions are Go's built-ins (and, or, not, len, index, slice, print, printf,
 *   println, eq, ne, lt, le, gt, ge, html, js, urlquery) plus those the caller supplies
 *   (template.ts: Velociraptor's Get and Scope, and the sprig functions artifacts use).
 *
 * Errors are TemplateError: `template: :LINE: executing "" at <...>: message`.
 */
import { ABSENT, VDict, VTime, VBytes, VFloat, Lazy, isHostObject, sprintf, goText, type Scope, type Value } from '../../vql/index.ts';
import { member } from '../../vql/protocols/member.ts';
import { StoredExpression, collectRows, isQuery } from '../../vql/eval/query-values.ts';
import { TemplateError, type Arg, type Node, type ParsedTemplate, type Pipe } from './go-template-parse.ts';

/** "No value": a missing key or field (prints `<no value>`). */
export const NO_VALUE = ABSENT;

export type TemplateFunc = (args: Value[], ctx: ExecContext) => Value | Promise<Value>;

export interface ExecContext {
  readonly scope: Scope;
  readonly signal: AbortSignal;
}

class BreakSignal {}
class ContinueSignal {}

const MAX_OUTPUT = 64 * 1024 * 1024;
const MAX_DEPTH = 100;

/** Go's truth of a value (text/template's isTrue). */
export function goTruth(v: Value): boolean {
  if (v === NO_VALUE || v === null || v === undefined) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    case 'bigint':
      return v !== 0n;
    case 'string':
      return v.length > 0;
    default:
      break;
  }
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof VDict) return v.size > 0;
  if (v instanceof VBytes) return v.bytes.length > 0;
  if (v instanceof VFloat) return v.value !== 0;
  if (v instanceof Map) return v.size > 0;
  return true;
}

/** The text Go's template prints for a value. */
export function printText(v: Value): string {
  if (v === NO_VALUE || v === null || v === undefined) return '<no value>';
  if (typeof v === 'string') return v;
  return goText(v);
}

async function resolve(v: Value, scope: Scope): Promise<Value> {
  let x = v;
  for (let i = 0; i < 20; i++) {
    if (x instanceof Lazy) x = await x.force();
    else if (x instanceof StoredExpression) x = await x.evaluate(scope);
    else if (isQuery(x)) x = await collectRows(x, scope);
    else break;
  }
  return x;
}

export class Executor {
  private out = '';
  private depth = 0;
  private vars: Array<[string, Value]> = [];

  constructor(
    private readonly tmpl: ParsedTemplate,
    private readonly funcs: ReadonlyMap<string, TemplateFunc>,
    private readonly ctx: ExecContext,
  ) {}

  async run(data: Value): Promise<string> {
    this.vars = [['$', data]];
    await this.walkList(this.tmpl.root, data);
    return this.out;
  }

  private fail(line: number, msg: string): never {
    throw new TemplateError(`template: :${line}: executing "" ${msg}`);
  }

  private write(s: string): void {
    this.out += s;
    if (this.out.length > MAX_OUTPUT) throw new TemplateError(`template: output larger than ${MAX_OUTPUT} bytes`);
  }

  private async walkList(list: Node[], dot: Value): Promise<void> {
    for (const n of list) await this.walk(n, dot);
  }

  private async walk(n: Node, dot: Value): Promise<void> {
    if (this.ctx.signal.aborted) throw new TemplateError('template: cancelled');
    switch (n.kind) {
      case 'text':
        this.write(n.text);
        return;
      case 'action': {
        const v = await this.evalPipe(n.pipe, dot);
        if (n.pipe.decl.length === 0) this.write(printText(v));
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const v = await this.evalPipe(n.pipe, dot);
        try {
          if (goTruth(v)) await this.walkList(n.list, n.kind === 'with' ? v : dot);
          else if (n.elseList) await this.walkList(n.elseList, dot);
        } finally {
          this.vars.length = mark;
        }
        return;
      }
      case 'range':
        return this.walkRange(n, dot);
      case 'template': {
        const body = this.tmpl.defines.get(n.name);
        if (!body) this.fail(n.line, `at <{{template "${n.name}"}}>: no such template "${n.name}"`);
        const v = n.pipe ? await this.evalPipe(n.pipe, dot) : null;
        if (++this.depth > MAX_DEPTH) this.fail(n.line, `at <{{template "${n.name}"}}>: exceeded maximum template depth (${MAX_DEPTH})`);
        const saved = this.vars;
        this.vars = [['$', v]];
        try {
          await this.walkList(body, v);
        } finally {
          this.vars = saved;
          this.depth--;
        }
        return;
      }
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
    }
  }

  private async walkRange(n: Extract<Node, { kind: 'range' }>, dot: Value): Promise<void> {
    const mark = this.vars.length;
    const decl = n.pipe.decl;
    const v = await resolve(await this.evalPipe({ ...n.pipe, decl: [] }, dot), this.ctx.scope);
    let items: Array<[Value, Value]>;
    if (v === NO_VALUE || v === null || v === undefined) items = [];
    else if (Array.isArray(v)) items = v.map((x, i) => [i, x]);
    else if (v instanceof VDict) items = v.keys().sort(goStringCompare).map((k) => [k, v.get(k)]);
    else if (typeof v === 'number' && Number.isInteger(v)) items = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
    else this.fail(n.pipe.line, `at <range>: range can't iterate over ${printText(v)}`);
    if (items.length === 0) {
      if (n.elseList) await this.walkList(n.elseList, dot);
      return;
    }
    try {
      for (const [k, x] of items) {
        this.vars.length = mark;
        if (decl.length === 1) this.vars.push([decl[0]!, x]);
        else if (decl.length === 2) this.vars.push([decl[0]!, k], [decl[1]!, x]);
        try {
          await this.walkList(n.list, x);
        } catch (e) {
          if (e instanceof BreakSignal) break;
          if (e instanceof ContinueSignal) continue;
          throw e;
        }
      }
    } finally {
      this.vars.length = mark;
    }
  }

  private lookupVar(name: string, line: number): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]![0] === name) return this.vars[i]![1];
    this.fail(line, `undefined variable: ${name}`);
  }

  private setVar(name: string, v: Value, line: number): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]![0] === name) {
        this.vars[i]![1] = v;
        return;
      }
    }
    this.fail(line, `undefined variable: ${name}`);
  }

  private async evalPipe(pipe: Pipe, dot: Value): Promise<Value> {
    let final: Value | typeof NO_ARG = NO_ARG;
    for (const cmd of pipe.cmds) final = await this.evalCommand(cmd.args, dot, final, pipe.line);
    const v = final === NO_ARG ? NO_VALUE : final;
    if (pipe.decl.length) {
      if (pipe.assign) this.setVar(pipe.decl[0]!, v, pipe.line);
      else this.vars.push([pipe.decl[0]!, v]);
    }
    return v;
  }

  private async evalCommand(args: Arg[], dot: Value, final: Value | typeof NO_ARG, line: number): Promise<Value> {
    const first = args[0]!;
    if (first.kind === 'ident') {
      const fn = this.funcs.get(first.name);
      if (!fn) this.fail(line, `at <${first.name}>: function "${first.name}" not defined`);
      const vals: Value[] = [];
      for (const a of args.slice(1)) vals.push(await this.evalArg(a, dot, line));
      if (final !== NO_ARG) vals.push(final);
      try {
        return await fn(vals, this.ctx);
      } catch (e) {
        if (e instanceof TemplateError) throw e;
        this.fail(line, `at <${first.name}>: error calling ${first.name}: ${(e as Error).message}`);
      }
    }
    if (args.length > 1 || final !== NO_ARG) {
      if (first.kind === 'field') this.fail(line, `at <.${first.names.join('.')}>: can't give argument to non-function`);
      this.fail(line, `can't give argument to non-function ${describeArg(first)}`);
    }
    return this.evalArg(first, dot, line);
  }

  private async evalArg(a: Arg, dot: Value, line: number): Promise<Value> {
    switch (a.kind) {
      case 'dot':
        return dot;
      case 'field':
        return this.fields(dot, a.names, line);
      case 'var':
        return this.fields(this.lookupVar(a.name, line), a.names, line);
      case 'pipe':
        return this.fields(await this.evalPipe(a.pipe, dot), a.names, line);
      case 'string':
        return a.value;
      case 'number':
        return a.value;
      case 'bool':
        return a.value;
      case 'nil':
        return null;
      case 'ident': {
        const fn = this.funcs.get(a.name);
        if (!fn) this.fail(line, `at <${a.name}>: function "${a.name}" not defined`);
        return fn([], this.ctx);
      }
    }
  }

  private async fields(v: Value, names: string[], line: number): Promise<Value> {
    let x = v;
    for (const name of names) {
      x = await resolve(x, this.ctx.scope);
      if (x === NO_VALUE || x === null || x === undefined) return NO_VALUE;
      if (x instanceof VDict || isHostObject(x) || x instanceof VTime) {
        x = await member(x, name, this.ctx.scope);
        continue;
      }
      this.fail(line, `at <.${name}>: can't evaluate field ${name} in type ${goTypeOf(x)}`);
    }
    return x;
  }
}

const NO_ARG: unique symbol = Symbol('no-arg');

function describeArg(a: Arg): string {
  switch (a.kind) {
    case 'string':
      return JSON.stringify(a.value);
    case 'number':
      return a.text;
    case 'var':
      return a.name;
    default:
      return a.kind;
  }
}

export function goTypeOf(v: Value): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return 'interface {}';
}

function goStringCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- Go's built-in template functions --------------------------------------------------------

function basicKind(v: Value): 'bool' | 'number' | 'string' | 'nil' | 'other' {
  if (v === null || v === undefined || v === NO_VALUE) return 'nil';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint' || v instanceof VFloat) return 'number';
  if (typeof v === 'string' || v instanceof VBytes) return 'string';
  return 'other';
}

function num(v: Value): number {
  return v instanceof VFloat ? v.value : Number(v);
}

function str(v: Value): string {
  return v instanceof VBytes ? new TextDecoder().decode(v.bytes) : String(v);
}

function eqTwo(a: Value, b: Value): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === 'nil' || kb === 'nil') return ka === kb;
  if (ka === 'other' || kb === 'other') throw new Error('non-comparable type');
  if (ka !== kb) throw new Error('incompatible types for comparison');
  if (ka === 'number') return num(a) === num(b);
  if (ka === 'string') return str(a) === str(b);
  return a === b;
}

function ltTwo(a: Value, b: Value): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka !== kb || (ka !== 'number' && ka !== 'string')) throw new Error(ka === kb ? 'invalid type for comparison' : 'incompatible types for comparison');
  return ka === 'number' ? num(a) < num(b) : str(a) < str(b);
}

/** Go's fmt.Sprint: spaces between operands when neither side is a string. */
function goSprint(args: Value[]): string {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    const isStr = typeof args[i] === 'string';
    if (i > 0 && !isStr && typeof args[i - 1] !== 'string') out += ' ';
    out += printText(args[i]).replace('<no value>', '<nil>');
  }
  return out;
}

function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => ({ '\0': '\uFFFD', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

function jsEscape(s: string): string {
  let out = '';
  for (const c of s) {
    const code = c.codePointAt(0)!;
    if (c === '\\') out += '\\\\';
    else if (c === "'") out += "\\'";
    else if (c === '"') out += '\\"';
    else if (c === '<') out += '\\u003C';
    else if (c === '>') out += '\\u003E';
    else if (c === '&') out += '\\u0026';
    else if (c === '=') out += '\\u003D';
    else if (code < 0x20) out += '\\u' + code.toString(16).toUpperCase().padStart(4, '0');
    else out += c;
  }
  return out;
}

function queryEscape(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function lengthOf(v: Value): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (v instanceof VBytes) return v.bytes.length;
  if (Array.isArray(v)) return v.length;
  if (v instanceof VDict) return v.size;
  throw new Error(`len of type ${goTypeOf(v)}`);
}

async function indexOf(item: Value, keys: Value[], scope: Scope): Promise<Value> {
  let x = await resolve(item, scope);
  for (const k of keys) {
    if (Array.isArray(x) || typeof x === 'string') {
      const i = num(k);
      const len = Array.isArray(x) ? x.length : x.length;
      if (!Number.isInteger(i) || i < 0 || i >= len) throw new Error(`index out of range: ${i}`);
      x = Array.isArray(x) ? x[i] : x.charCodeAt(i);
    } else if (x instanceof VDict) {
      const v = x.get(str(k));
      x = v === ABSENT ? NO_VALUE : v;
    } else if (x === null || x === undefined || x === NO_VALUE) {
      throw new Error('index of untyped nil');
    } else throw new Error(`can't index item of type ${goTypeOf(x)}`);
    x = await resolve(x, scope);
  }
  return x;
}

export const BUILTINS: ReadonlyMap<string, TemplateFunc> = new Map<string, TemplateFunc>([
  ['and', (a) => { for (const x of a.slice(0, -1)) if (!goTruth(x)) return x; return a[a.length - 1] ?? null; }],
  ['or', (a) => { for (const x of a.slice(0, -1)) if (goTruth(x)) return x; return a[a.length - 1] ?? null; }],
  ['not', (a) => !goTruth(a[0])],
  ['len', (a) => lengthOf(a[0])],
  ['index', (a, ctx) => indexOf(a[0], a.slice(1), ctx.scope)],
  ['slice', (a) => {
    const x = a[0];
    const from = a.length > 1 ? num(a[1]) : 0;
    if (typeof x === 'string') return x.slice(from, a.length > 2 ? num(a[2]) : undefined);
    if (Array.isArray(x)) return x.slice(from, a.length > 2 ? num(a[2]) : undefined);
    throw new Error(`can't slice item of type ${goTypeOf(x)}`);
  }],
  ['print', (a) => goSprint(a)],
  ['println', (a) => a.map((x) => printText(x).replace('<no value>', '<nil>')).join(' ') + '\n'],
  ['printf', (a) => sprintf(str(a[0] ?? ''), a.slice(1).map((x) => (x === NO_VALUE ? null : x)))],
  ['eq', (a) => { if (a.length < 2) throw new Error('missing argument for comparison'); return a.slice(1).some((b) => eqTwo(a[0], b)); }],
  ['ne', (a) => !eqTwo(a[0], a[1])],
  ['lt', (a) => ltTwo(a[0], a[1])],
  ['le', (a) => ltTwo(a[0], a[1]) || eqTwo(a[0], a[1])],
  ['gt', (a) => !ltTwo(a[0], a[1]) && !eqTwo(a[0], a[1])],
  ['ge', (a) => !ltTwo(a[0], a[1])],
  ['html', (a) => htmlEscape(goSprint(a))],
  ['js', (a) => jsEscape(goSprint(a))],
  ['urlquery', (a) => queryEscape(goSprint(a))],
]);
