/**
 * `template(template=, expansion=)` (Velociraptor's vql/functions/template.go): expands a Go
 * text/template (go-template-parse.ts, go-template-exec.ts) with `expansion` as the data
 * (`.`), and gives the text.
 *
 * Functions: Go's built-ins; Velociraptor's `Get ITEM FIELD...` (a member of a dict or
 * object, "" when absent) and `Scope "NAME"` (a variable of the query's scope, "" when
 * absent); and the sprig functions Velociraptor's templates load that artifacts use (quote,
 * squote, upper, lower, title, trim, trimAll, trimPrefix, trimSuffix, trunc, replace,
 * contains, hasPrefix, hasSuffix, repeat, default, empty, coalesce, ternary, join, splitList,
 * list, dict, toJson, toPrettyJson, toString, b64enc, b64dec, indent, nindent, add, sub, mul,
 * div, mod, max, min, atoi, int, float64, first, last, base, dir, ext, regexMatch,
 * regexReplaceAll).
 *
 * A template that does not parse, or fails while running (an unknown function, a bad
 * comparison), logs Go's message (`template: :LINE: ...`) and gives NULL.
 */
import { posix } from 'node:path';
import { VBytes, VDict, toJSON, sprintf, type FunctionDef, type Value } from '../../vql/index.ts';
import { member } from '../../vql/protocols/member.ts';
import { ABSENT } from '../../vql/index.ts';
import { parseTemplate, TemplateError, type ParsedTemplate } from './go-template-parse.ts';
import { BUILTINS, Executor, goTruth, NO_VALUE, printText, type TemplateFunc } from './go-template-exec.ts';

/** sprig's strval. */
function sv(v: Value): string {
  if (typeof v === 'string') return v;
  if (v instanceof VBytes) return new TextDecoder().decode(v.bytes);
  if (v === NO_VALUE || v === null || v === undefined) return '';
  return printText(v);
}

function int(v: Value): number {
  if (typeof v === 'string') {
    const n = parseInt(v, 10);
    return Number.isNaN(n) ? 0 : n;
  }
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

function list(v: Value): Value[] {
  if (Array.isArray(v)) return v;
  if (v === null || v === undefined || v === NO_VALUE) return [];
  return [v];
}

function indent(n: number, s: string): string {
  const pad = ' '.repeat(Math.max(0, n));
  return pad + s.replace(/\n/g, '\n' + pad);
}

function goRegex(re: string): RegExp {
  return new RegExp(re, 'u');
}

const SPRIG: Array<[string, TemplateFunc]> = [
  ['quote', (a) => a.filter((x) => x !== null && x !== undefined && x !== NO_VALUE).map((x) => sprintf('%q', [sv(x)])).join(' ')],
  ['squote', (a) => a.filter((x) => x !== null && x !== undefined && x !== NO_VALUE).map((x) => `'${sv(x)}'`).join(' ')],
  ['upper', (a) => sv(a[0]).toUpperCase()],
  ['lower', (a) => sv(a[0]).toLowerCase()],
  ['title', (a) => sv(a[0]).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase())],
  ['trim', (a) => sv(a[0]).trim()],
  ['trimAll', (a) => { const cut = sv(a[0]); const s = sv(a[1]); let i = 0; let j = s.length; while (i < j && cut.includes(s[i]!)) i++; while (j > i && cut.includes(s[j - 1]!)) j--; return s.slice(i, j); }],
  ['trimPrefix', (a) => { const p = sv(a[0]); const s = sv(a[1]); return s.startsWith(p) ? s.slice(p.length) : s; }],
  ['trimSuffix', (a) => { const p = sv(a[0]); const s = sv(a[1]); return p && s.endsWith(p) ? s.slice(0, -p.length) : s; }],
  ['trunc', (a) => { const n = int(a[0]); const s = sv(a[1]); return n >= 0 ? s.slice(0, n) : s.slice(Math.max(0, s.length + n)); }],
  ['replace', (a) => sv(a[2]).split(sv(a[0])).join(sv(a[1]))],
  ['contains', (a) => sv(a[1]).includes(sv(a[0]))],
  ['hasPrefix', (a) => sv(a[1]).startsWith(sv(a[0]))],
  ['hasSuffix', (a) => sv(a[1]).endsWith(sv(a[0]))],
  ['repeat', (a) => sv(a[1]).repeat(Math.max(0, int(a[0])))],
  ['default', (a) => (a.length > 1 && goTruth(a[1]) ? a[1]! : a[0]!)],
  ['empty', (a) => !goTruth(a[0])],
  ['coalesce', (a) => a.find((x) => goTruth(x)) ?? null],
  ['ternary', (a) => (goTruth(a[2]) ? a[0]! : a[1]!)],
  ['join', (a) => list(a[1]).map(sv).join(sv(a[0]))],
  ['splitList', (a) => sv(a[1]).split(sv(a[0]))],
  ['list', (a) => a.map((x) => (x === NO_VALUE ? null : x))],
  ['dict', (a) => { const d = new VDict(); for (let i = 0; i < a.length; i += 2) d.set(sv(a[i]), a[i + 1] === undefined || a[i + 1] === NO_VALUE ? '' : a[i + 1]); return d; }],
  ['toJson', (a) => toJSON(a[0] === NO_VALUE ? null : a[0])],
  ['toPrettyJson', (a) => toJSON(a[0] === NO_VALUE ? null : a[0], { indent: '  ' })],
  ['toString', (a) => sv(a[0])],
  ['b64enc', (a) => Buffer.from(a[0] instanceof VBytes ? a[0].bytes : Buffer.from(sv(a[0]))).toString('base64')],
  ['b64dec', (a) => Buffer.from(sv(a[0]), 'base64').toString('utf8')],
  ['indent', (a) => indent(int(a[0]), sv(a[1]))],
  ['nindent', (a) => '\n' + indent(int(a[0]), sv(a[1]))],
  ['add', (a) => a.reduce<number>((s, x) => s + int(x), 0)],
  ['sub', (a) => int(a[0]) - int(a[1])],
  ['mul', (a) => a.reduce<number>((s, x) => s * int(x), 1)],
  ['div', (a) => { const d = int(a[1]); if (d === 0) throw new Error('integer divide by zero'); return Math.trunc(int(a[0]) / d); }],
  ['mod', (a) => { const d = int(a[1]); if (d === 0) throw new Error('integer divide by zero'); return int(a[0]) % d; }],
  ['max', (a) => Math.max(...a.map(int))],
  ['min', (a) => Math.min(...a.map(int))],
  ['atoi', (a) => int(sv(a[0]))],
  ['int', (a) => int(a[0])],
  ['float64', (a) => { const n = Number(typeof a[0] === 'string' ? a[0] : a[0]); return Number.isFinite(n) ? n : 0; }],
  ['first', (a) => list(a[0])[0] ?? null],
  ['last', (a) => { const l = list(a[0]); return l[l.length - 1] ?? null; }],
  ['base', (a) => posix.basename(sv(a[0])) || '.'],
  ['dir', (a) => posix.dirname(sv(a[0]))],
  ['ext', (a) => posix.extname(sv(a[0]))],
  ['regexMatch', (a) => goRegex(sv(a[0])).test(sv(a[1]))],
  ['regexReplaceAll', (a) => sv(a[1]).replace(new RegExp(sv(a[0]), 'gu'), sv(a[2]).replace(/\$\{?(\w+)\}?/g, '$$<$1>').replace(/\$<(\d+)>/g, '$$$1'))],
];

/** Velociraptor's own template helpers. */
const VELOCIRAPTOR: Array<[string, TemplateFunc]> = [
  ['Get', async (a, ctx) => {
    let x: Value = a[0];
    for (const f of a.slice(1)) {
      if (x === null || x === undefined || x === NO_VALUE) return '';
      if (!(x instanceof VDict) && (typeof x !== 'object' || x === null)) return '';
      x = await member(x, sv(f), ctx.scope);
      if (x === ABSENT) return '';
    }
    return x;
  }],
  ['Scope', async (a, ctx) => {
    const v = await ctx.scope.lookup(sv(a[0]));
    return v === ABSENT ? '' : v;
  }],
];

const FUNCS: ReadonlyMap<string, TemplateFunc> = new Map([...BUILTINS, ...SPRIG, ...VELOCIRAPTOR]);

/** Parsed templates by text, per query (artifacts call template() once per row). */
const CACHE = Symbol('template-cache');

function parsed(text: string, context: Map<unknown, unknown>): ParsedTemplate {
  let cache = context.get(CACHE) as Map<string, ParsedTemplate> | undefined;
  if (!cache) context.set(CACHE, (cache = new Map()));
  let t = cache.get(text);
  if (!t) {
    t = parseTemplate(text);
    if (cache.size > 200) cache.clear();
    cache.set(text, t);
  }
  return t;
}

export const template: FunctionDef = {
  name: 'template',
  doc: 'Expand a Go text/template with expansion= as its data ({{ .Field }}, if, range, with, printf, quote...; Get and Scope helpers).',
  args: {
    template: { type: 'string', required: true, doc: 'The Go text/template text' },
    expansion: { type: 'any', doc: 'The data the template sees as `.` (usually a dict)' },
  },
  async run(call) {
    const { args, scope } = call;
    let t: ParsedTemplate;
    try {
      t = parsed(String(args.template ?? ''), scope.env.context);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      call.log('error', `argument template: ${e.message}`);
      return null;
    }
    try {
      const data = args.expansion === undefined ? null : args.expansion;
      return await new Executor(t, FUNCS, { scope, signal: scope.signal }).run(data);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      if (!scope.signal.aborted) call.log('error', e.message);
      return null;
    }
  },
};
