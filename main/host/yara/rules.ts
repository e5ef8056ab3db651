/**
 * Rule text for yara(): Velociraptor's shorthand (`ascii wide nocase: foo,bar`), and what the
 * WASM engine does not report but the rows need - each rule's tags, and its metadata's types
 * (the engine gives every value as text; Velociraptor gives ints, bools and strings) - read
 * from the rule source with a small tokenizer that skips comments and strings.
 */

const SHORTHAND_KEYWORDS = new Set(['ascii', 'wide', 'nocase', 'fullword', 'private', 'xor', 'base64', 'base64wide']);

/** A YARA text string literal. */
function quote(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t') + '"';
}

/**
 * Expands Velociraptor's shorthand: text that does not start with `rule` or `import` and reads
 * `keywords: string,string...` becomes `rule X { strings: $a0 = "..." keywords ... condition:
 * any of them }`. An unknown keyword gives a warning and the text is used as it is.
 */
export function expandShorthand(rules: string, warn: (m: string) => void): string {
  const t = rules.trim();
  if (/^(rule|import|private|global|include)\b/.test(t) || t.startsWith('//') || t.startsWith('/*')) return rules;
  const m = /^([A-Za-z0-9_ ]*):([\s\S]*)$/.exec(t);
  if (!m) return rules;
  const keywords = m[1]!.trim().split(/\s+/).filter(Boolean);
  const unknown = keywords.filter((k) => !SHORTHAND_KEYWORDS.has(k));
  if (unknown.length) {
    warn(`argument rules: unknown keyword ${unknown.join(', ')} in the shorthand ${JSON.stringify(t.slice(0, 60))}: compiled as a rule`);
    return rules;
  }
  const strings = m[2]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!strings.length) return rules;
  const decls = strings.map((s, i) => `    $a${i} = ${quote(s)}${keywords.length ? ' ' + keywords.join(' ') : ''}`).join('\n');
  return `rule X {\n  strings:\n${decls}\n  condition:\n    any of them\n}\n`;
}

export type MetaValue = string | number | bigint | boolean;

export interface RuleInfo {
  tags: string[];
  /** Meta identifier -> its value as written in the source (typed). */
  meta: Array<[string, MetaValue]>;
}

type Token = { kind: 'word' | 'string' | 'number' | 'punct'; text: string; value?: MetaValue };

/** Tokens of YARA source, comments dropped; regexes and hex strings are skipped roughly. */
function tokens(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (src.startsWith('//', i)) {
      const e = src.indexOf('\n', i);
      i = e < 0 ? src.length : e;
    } else if (src.startsWith('/*', i)) {
      const e = src.indexOf('*/', i + 2);
      i = e < 0 ? src.length : e + 2;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\' && j + 1 < src.length) {
          const n = src[j + 1]!;
          if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(src.slice(j + 2, j + 4))) {
            text += String.fromCharCode(parseInt(src.slice(j + 2, j + 4), 16));
            j += 4;
            continue;
          }
          text += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n;
          j += 2;
          continue;
        }
        text += src[j];
        j++;
      }
      out.push({ kind: 'string', text, value: text });
      i = j + 1;
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^-?(0x[0-9a-fA-F]+|0o[0-7]+|[0-9]+)(KB|MB)?/.exec(src.slice(i))!;
      let n = BigInt(m[1]!.startsWith('0o') ? '0o' + m[1]!.slice(2) : m[1]!);
      if (m[2] === 'KB') n *= 1024n;
      if (m[2] === 'MB') n *= 1024n * 1024n;
      if (m[0]!.startsWith('-')) n = -n;
      out.push({ kind: 'number', text: m[0]!, value: n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n });
      i += m[0]!.length;
    } else if (/[A-Za-z_$#@!]/.test(c)) {
      const m = /^[A-Za-z_$#@!][A-Za-z0-9_*]*/.exec(src.slice(i))!;
      out.push({ kind: 'word', text: m[0]! });
      i += m[0]!.length;
    } else {
      out.push({ kind: 'punct', text: c });
      i++;
    }
  }
  return out;
}

/** Each rule's tags and typed metadata, by rule name. */
export function ruleInfo(src: string): Map<string, RuleInfo> {
  const out = new Map<string, RuleInfo>();
  const t = tokens(src);
  for (let i = 0; i < t.length; i++) {
    if (t[i]!.kind !== 'word' || t[i]!.text !== 'rule' || t[i + 1]?.kind !== 'word') continue;
    const name = t[i + 1]!.text;
    const info: RuleInfo = { tags: [], meta: [] };
    let j = i + 2;
    if (t[j]?.text === ':') {
      j++;
      while (t[j] && t[j]!.kind === 'word') info.tags.push(t[j++]!.text);
    }
    if (t[j]?.text !== '{') continue;
    j++;
    // The meta section: `meta:` then `ident = value` pairs until the next section or the end.
    let depth = 1;
    let inMeta = false;
    while (j < t.length && depth > 0) {
      const k = t[j]!;
      if (k.text === '{') depth++;
      else if (k.text === '}') depth--;
      else if (k.kind === 'word' && t[j + 1]?.text === ':' && ['meta', 'strings', 'condition'].includes(k.text)) {
        inMeta = k.text === 'meta';
        j += 2;
        continue;
      } else if (inMeta && k.kind === 'word' && t[j + 1]?.text === '=') {
        const v = t[j + 2];
        if (v?.kind === 'string' || v?.kind === 'number') info.meta.push([k.text, v.value!]);
        else if (v?.kind === 'word' && (v.text === 'true' || v.text === 'false')) info.meta.push([k.text, v.text === 'true']);
        j += 3;
        continue;
      }
      j++;
    }
    out.set(name, info);
    i = j - 1;
  }
  return out;
}
