/**
 * Go's loops over successive matches, on a compiled Regex: `allMatches` (FindAll*: an empty
 * match right after the previous match is skipped) and `Split(s, -1)`. JavaScript's matchAll
 * differs on empty matches (`x*` on "axb": Go splits into ["a", "b"], matchAll into 3 pieces).
 */
import type { Regex, RegexMatch } from './engine.ts';

/** Go's allMatches: every match, left to right, skipping an empty match that abuts the previous. */
export function* allMatches(re: Regex, s: string): Generator<RegexMatch> {
  const search = re.searcher(s);
  let prevEnd = -1;
  for (let pos = 0; pos <= s.length; ) {
    const m = search(pos);
    if (!m) return;
    const end = m.index + m[0]!.length;
    let accept = true;
    if (end === pos) {
      // An empty match: not right after the previous match; go on one code point later.
      if (m.index === prevEnd) accept = false;
      pos += pos < s.length && (s.codePointAt(pos) ?? 0) > 0xffff ? 2 : 1;
    } else pos = end;
    prevEnd = end;
    if (accept) yield m;
  }
}

/** Go's Regexp.Split(s, -1): the text between matches (no groups), as Velociraptor's split. */
export function splitGo(re: Regex, s: string): string[] {
  if (re.pattern !== '' && s === '') return [''];
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of allMatches(re, s)) {
    end = m.index;
    const mEnd = m.index + m[0]!.length;
    if (mEnd !== 0) out.push(s.slice(beg, end));
    beg = mEnd;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}
