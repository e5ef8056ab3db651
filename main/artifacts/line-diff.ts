/**
 * A line diff of two texts, for showing what an import or a save would replace (the pack import
 * preview, the editor's "replace?" question, `vql artifacts import --dry-run`). Myers' O(ND)
 * algorithm over the lines after the common head and tail are set aside; the edit distance is
 * bounded (MAX_EDITS), so two unrelated 1 MiB texts cost a bounded amount of work and come back
 * as "everything removed, everything added" instead of a minimal script.
 *
 * Written here rather than taken from npm: about a hundred lines that the app (main process),
 * the CLI and the page share with no new dependency, and the output is the shape the views need
 * (hunks with context), not a patch format to parse again. No imports: the renderer may bundle it.
 */

/** One line of a diff: kept (` `), removed (`-`) or added (`+`), with its line numbers. */
export interface DiffLine {
  readonly op: ' ' | '-' | '+';
  readonly text: string;
  /** 1-based line in the old text (kept and removed lines). */
  readonly oldLine?: number;
  /** 1-based line in the new text (kept and added lines). */
  readonly newLine?: number;
}

/** A run of changes with the lines of context around it. */
export interface DiffHunk {
  /** First line of the hunk in the old and the new text (1-based). */
  readonly oldStart: number;
  readonly newStart: number;
  readonly lines: DiffLine[];
}

export interface LineDiff {
  readonly hunks: DiffHunk[];
  readonly added: number;
  readonly removed: number;
}

/** Past this many inserted plus deleted lines the diff gives up minimality (see above). */
export const MAX_EDITS = 1000;

/** The lines of a text; a final newline does not make an empty last line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * The edit script between `a` and `b` (line arrays), as ops in order. Myers' greedy forward
 * search with a trace of the V arrays; past `maxEdits` the middle is replaced wholesale.
 */
function editScript(a: readonly string[], b: readonly string[], maxEdits: number): Array<' ' | '-' | '+'> {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  // trace[d]: V as it was before step d, only the diagonals that step reads (-d-1..d+1), so
  // the trace takes about max² integers at most, not max × (2·max).
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) {
    // Too different to be worth a minimal script: all of a removed, all of b added.
    return [...Array<'-'>(n).fill('-'), ...Array<'+'>(m).fill('+')];
  }
  // Walk the trace back from (n, m) to (0, 0).
  const ops: Array<' ' | '-' | '+'> = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const t = trace[d]!;
    const at = (k: number) => t[d + 1 + k]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push(' ');
      x--;
      y--;
    }
    ops.push(x === prevX ? '+' : '-');
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    ops.push(' ');
    x--;
    y--;
  }
  return ops.reverse();
}

/**
 * The diff of `oldText` and `newText` as hunks with `context` lines around each change (3 by
 * default, as `diff -u`). Equal texts give no hunks.
 */
export function lineDiff(oldText: string, newText: string, context = 3, maxEdits = MAX_EDITS): LineDiff {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  // The common head and tail need no search.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const middle = editScript(a.slice(head, a.length - tail), b.slice(head, b.length - tail), maxEdits);
  const ops: Array<' ' | '-' | '+'> = [...Array<' '>(head).fill(' '), ...middle, ...Array<' '>(tail).fill(' ')];
  const all: DiffLine[] = [];
  let i = 0;
  let j = 0;
  let added = 0;
  let removed = 0;
  for (const op of ops) {
    if (op === ' ') all.push({ op, text: a[i]!, oldLine: ++i, newLine: ++j });
    else if (op === '-') {
      all.push({ op, text: a[i]!, oldLine: ++i });
      removed++;
    } else {
      all.push({ op, text: b[j]!, newLine: ++j });
      added++;
    }
  }
  // Changes closer than twice the context share a hunk.
  const hunks: DiffHunk[] = [];
  const changes: number[] = [];
  for (let p = 0; p < all.length; p++) if (all[p]!.op !== ' ') changes.push(p);
  for (let c = 0; c < changes.length; ) {
    let last = c;
    while (last + 1 < changes.length && changes[last + 1]! - changes[last]! <= 2 * context + 1) last++;
    const from = Math.max(0, changes[c]! - context);
    const to = Math.min(all.length, changes[last]! + context + 1);
    hunks.push({ oldStart: 0, newStart: 0, lines: all.slice(from, to) });
    c = last + 1;
  }
  return {
    hunks: hunks.map((h) => ({ ...h, oldStart: firstLine(h.lines, 'oldLine'), newStart: firstLine(h.lines, 'newLine') })),
    added,
    removed,
  };
}

function firstLine(lines: readonly DiffLine[], key: 'oldLine' | 'newLine'): number {
  for (const l of lines) if (l[key] !== undefined) return l[key]!;
  return 0;
}

/** The diff as unified-diff text (`@@ -a +b @@`, then ` `/`-`/`+` lines), for a terminal. */
export function formatDiff(d: LineDiff, oldName = 'old', newName = 'new'): string {
  if (!d.hunks.length) return '';
  const out = [`--- ${oldName}`, `+++ ${newName}`];
  for (const h of d.hunks) {
    const olds = h.lines.filter((l) => l.op !== '+').length;
    const news = h.lines.filter((l) => l.op !== '-').length;
    out.push(`@@ -${h.oldStart},${olds} +${h.newStart},${news} @@`);
    for (const l of h.lines) out.push(`${l.op}${l.text}`);
  }
  return out.join('\n') + '\n';
}
