/**
 * Regex string functions with Go's semantics: `regex_replace` (ReplaceAllString, `$1` /
 * `${name}` templates, or a lambda per match), `regex_transform` and
 * `parse_string_with_regex`. Patterns are RE2 syntax, case-insensitive as in Velociraptor.
 */
import { VDict, type FunctionDef } from '../../vql/index.ts';
import { cachedRegex } from '../../vql/protocols/regex.ts';
import type { Regex, RegexMatch } from '../../vql/regex/engine.ts';
import { lambdaArg } from './lambdas.ts';
import { textOf } from './text.ts';

/** A search from a position: a compiled Regex, or a JavaScript RegExp with the `g` flag. */
function searcherOf(re: Regex | RegExp, src: string): (from: number) => RegexMatch | null {
  if (!(re instanceof RegExp)) return re.searcher(src);
  return (from) => {
    re.lastIndex = from;
    return re.exec(src);
  };
}

/**
 * Go's ReplaceAll loop: every non-overlapping match, skipping an empty match right after the
 * previous match; `replace` gives the text for each match.
 */
export async function replaceAllGo(src: string, re: Regex | RegExp, replace: (m: RegexMatch) => string | Promise<string>): Promise<string> {
  const search = searcherOf(re, src);
  let out = '';
  let lastEnd = 0;
  let pos = 0;
  while (pos <= src.length) {
    const m = search(pos);
    if (!m) break;
    const start = m.index;
    const end = start + m[0]!.length;
    out += src.slice(lastEnd, start);
    if (end > lastEnd || start === 0) out += await replace(m);
    lastEnd = end;
    const width = (src.codePointAt(pos) ?? 0) > 0xffff ? 2 : 1;
    pos = pos + width > end ? pos + width : end;
  }
  return out + src.slice(lastEnd);
}

/**
 * Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; unknown groups are empty. A name
 * is letters, digits and `_` (Unicode, as Go's); a number with a leading zero is a name.
 */
export function expandTemplate(template: string, m: RegexMatch): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '$') {
      out += c;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    let next = i + 1;
    if (template[i + 1] === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close > 0 ? template.slice(i + 2, close) : '';
      if (TEMPLATE_NAME.test(inner)) {
        name = inner;
        next = close + 1;
      }
    } else {
      const word = TEMPLATE_NAME_PREFIX.exec(template.slice(i + 1));
      if (word) {
        name = word[0];
        next = i + 1 + name.length;
      }
    }
    if (name === undefined) {
      out += '$';
      continue;
    }
    out += (GROUP_NUMBER.test(name) ? m[Number(name)] : m.groups?.[name]) ?? '';
    i = next - 1;
  }
  return out;
}

const TEMPLATE_NAME = /^[\p{L}\p{Nd}_]+$/u;
const TEMPLATE_NAME_PREFIX = /^[\p{L}\p{Nd}_]+/u;
/** Go's group numbers: digits, no leading zero, at most 9 digits (`$01` is the group named "01"). */
const GROUP_NUMBER = /^(?:0|[1-9][0-9]{0,8})$/;

export const regexReplace: FunctionDef = {
  name: 'regex_replace',
  doc: 'Replace every match of `re` in `source` with `replace` (Go template: $1, ${name}) or with the result of `replace_lambda` called on the matched text.',
  args: {
    source: { type: 'any', required: true, doc: 'The string to change' },
    re: { type: 'string', required: true, doc: 'An RE2 regex (case-insensitive)' },
    replace: { type: 'string', doc: 'The replacement template' },
    replace_lambda: { type: 'string', doc: 'A lambda given each match, returning its replacement' },
  },
  async run({ args, scope }) {
    const re = cachedRegex(args.re as string, scope, { callee: 'regex_replace' });
    if (!re) return null;
    const source = textOf(args.source);
    if (args.replace_lambda !== undefined) {
      const fn = lambdaArg(String(args.replace_lambda), scope);
      if (!fn) return null;
      return replaceAllGo(source, re, async (m) => textOf(await fn(scope, m[0])));
    }
    const template = (args.replace as string | undefined) ?? '';
    return replaceAllGo(source, re, (m) => expandTemplate(template, m));
  },
};

export const regexTransform: FunctionDef = {
  name: 'regex_transform',
  doc: 'Apply each regex => replacement pair of `map`, in order, to `source`.',
  args: {
    source: { type: 'any', required: true, doc: 'The string to change' },
    map: { type: 'any', required: true, doc: 'A dict of regex => replacement template' },
    key: { type: 'string', doc: 'Cache key for the compiled map (accepted for compatibility)' },
  },
  async run(call) {
    const { args, scope } = call;
    const log = call.log.bind(call);
    if (!(args.map instanceof VDict)) {
      log('error', 'regex_transform: map must be a dict');
      return null;
    }
    let s = textOf(args.source);
    for (const [pattern, replacement] of args.map.entries()) {
      const re = cachedRegex(pattern, scope, { callee: 'regex_transform' });
      if (!re) continue;
      const template = textOf(replacement);
      s = await replaceAllGo(s, re, (m) => expandTemplate(template, m));
    }
    return s;
  },
};

export const parseStringWithRegex: FunctionDef = {
  name: 'parse_string_with_regex',
  doc: 'Match regexes against a string (every match, the later overwriting): a dict of the named groups `(?P<name>...)` of each regex (empty when they do not match) and the unnamed ones as g1, g2... (when they matched).',
  args: {
    string: { type: 'any', required: true, doc: 'The string to parse' },
    regex: { type: 'strings', required: true, doc: 'One or more RE2 regexes with named groups' },
  },
  run({ args, scope }) {
    const s = textOf(args.string);
    const out = new VDict();
    for (const pattern of args.regex as string[]) {
      const re = cachedRegex(pattern, scope, { callee: 'parse_string_with_regex' });
      if (!re) continue;
      // Go's FindAllStringSubmatch: named groups start empty; each match sets its groups, and
      // an unnamed group is g<i>, set only when it took part.
      re.groupNames.forEach((name) => {
        if (name !== '' && !out.has(name)) out.set(name, '');
      });
      const search = re.searcher(s);
      for (let pos = 0, n = 0; pos <= s.length && n < 10_000; n++) {
        const m = search(pos);
        if (!m) break;
        re.groupNames.forEach((name, i) => {
          if (i === 0) return;
          if (name !== '') out.set(name, m[i] ?? '');
          else if (m[i] !== undefined) out.set(`g${i}`, m[i]!);
        });
        const end = m.index + m[0]!.length;
        pos = end > m.index ? end : end + 1;
      }
    }
    return out;
  },
};
