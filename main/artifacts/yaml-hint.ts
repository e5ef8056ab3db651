/**
 * A hint for a YAML syntax error whose cause is earlier than where the parser noticed it. The
 * usual case: a key written without its `:` (`precondition SELECT ...`, `sources`) makes the
 * parser read that line and the next ones as one plain scalar, and the error comes lines later
 * ("a multiline key may not be an implicit key", "bad indentation of a mapping entry"), at a
 * line that is fine. Looking back from the reported line for a line that looks like a key
 * without a colon names the line to look at.
 */

/** Lines looked at above the reported one (a plain scalar rarely runs longer before the parser notices). */
const LOOK_BACK = 12;

/** `  - key words`, `key`: an indented word that YAML would read as a key if it had a `:`. */
const KEY_LIKE = /^(\s*)(?:-\s+)?([A-Za-z_][A-Za-z0-9_.-]*)(?:[ \t]+(\S.*))?$/;

/** A line with a mapping key (`key:`, `- key:`): the column of its key (0-based), else -1. */
function keyColumn(src: string): number {
  const m = /^(\s*(?:-\s+)?)[^\s#'"-][^:#]*:(?:\s|$)/.exec(src);
  return m ? m[1]!.length : -1;
}

/**
 * The 1-based line that looks like a key missing its `:` at or above `line` (the parser's
 * line), with its key; undefined when there is none. A line with a `key:` above the reported
 * one ends the search (the runaway scalar cannot start above it). A candidate must sit where a
 * key of its mapping would (not deeper than the key above it), so the continuation lines of a
 * multi-line value (`description: some\n  more text`) are not taken for one.
 */
export function keyWithoutColon(text: string, line: number): { line: number; key: string } | undefined {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const meaningful = (l: number) => {
    const t = lines[l - 1]!.trim();
    return t !== '' && !t.startsWith('#');
  };
  for (let l = Math.min(line, lines.length); l >= 1 && l >= line - LOOK_BACK; l--) {
    if (!meaningful(l)) continue;
    const src = lines[l - 1]!;
    if (keyColumn(src) >= 0) {
      if (l < line) return undefined;
      continue;
    }
    const m = KEY_LIKE.exec(src);
    const rest = m?.[3] ?? '';
    if (!m || /:(\s|$)/.test(src) || rest.startsWith('|') || rest.startsWith('>')) continue;
    const column = src.length - src.trimStart().replace(/^-\s+/, '').length;
    // The nearest key line above it (list items and values between are passed over): the
    // candidate must not be indented deeper than that key.
    let above = -1;
    for (let k = l - 1; k >= 1 && k >= l - LOOK_BACK && above < 0; k--) if (meaningful(k)) above = keyColumn(lines[k - 1]!);
    if (above === -1 ? column === 0 || l === 1 : column <= above) return { line: l, key: m[2]! };
    return undefined;
  }
  return undefined;
}

/** The hint to add to a YAML error reported at `line`, or '' (none, or the fault is on that very line). */
export function yamlErrorHint(text: string, line: number): string {
  const k = keyWithoutColon(text, line);
  if (!k || k.line === line) return '';
  return `; the problem may start on line ${k.line}: '${k.key}' looks like a key without ':' (write \`${k.key}: ...\`)`;
}
