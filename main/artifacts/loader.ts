/**
 * Loading an artifact file the way Velociraptor does (VELOCIRAPTOR.md 1.1): sanitize the
 * text, strictly decode the YAML, normalize, validate. Every problem names the file, line and
 * column; a VQL error inside a `query: |` block points at the line of the YAML file.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { LineIndex } from './line-index.ts';
import { artifactSizeProblem, MAX_ARTIFACT_BYTES, utf8Size } from './size-limit.ts';
import { ARTIFACT_SCHEMA, type Artifact } from './schema.ts';
import { decodeArtifact, type QueryLocation } from './decode.ts';
import { parseYamlTree, YamlSyntaxError } from './yaml-tree.ts';
import { yamlErrorHint } from './yaml-hint.ts';
import { validateArtifact } from './validate.ts';

export interface ArtifactProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

/** `file:line:column: error: message`, as compilers print them. */
export function formatProblem(p: ArtifactProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.severity}: ${p.message}`;
}

/** A loaded artifact with what is needed to point back into its file. */
export interface LoadedArtifact {
  readonly artifact: Artifact;
  /** The file it came from ('' for text loaded from elsewhere). */
  readonly file: string;
  /** The file's text, as written. */
  readonly raw: string;
  /** Built-in artifacts ship with the workbench. */
  readonly builtIn: boolean;
  /** Maps an offset inside a VQL field (`sources.0.query`) to a line and column of the file. */
  locate(field: string, offset: number): { line: number; column: number };
  /** The line and column of any decoded field (`imports.1`, `parameters.0.name`). */
  position(field: string): { line: number; column: number };
}

export interface LoadResult {
  /** Present when the file decoded into an artifact without errors. */
  readonly loaded?: LoadedArtifact;
  readonly problems: ArtifactProblem[];
}

/**
 * Velociraptor's sanitize step: CRLF → LF, and a line that is only `query:` or
 * `precondition:` becomes a literal block (`query: |`) so VQL keeps its newlines.
 * Line numbers do not change.
 */
export function sanitizeArtifactYaml(text: string): string {
  // A lone CR is a line break in YAML too: one character for one, so offsets do not move.
  return text.replace(/\r\n?/g, '\n').replace(/^(\s*(?:-\s+)?(?:query|precondition)):[ \t]*$/gm, '$1: |');
}

/**
 * The offset in a flow scalar's source that holds character `offset` of its value: line
 * breaks and the indentation after them fold into one character, and a quoted escape is
 * one character of the value. A cursor: offsets asked in increasing order (the statements of
 * a query) continue from the last answer instead of walking from the start each time.
 */
class RawCursor {
  private i = 0;
  private v = 0;
  constructor(private readonly raw: string, private readonly style: number) {}

  at(offset: number): number {
    const { raw, style } = this;
    if (offset < this.v) this.i = this.v = 0;
    let i = this.i;
    let v = this.v;
    for (; v < offset && i < raw.length; v++) {
      const c = raw[i];
      if (c === '\n') {
        while (i < raw.length && /\s/.test(raw[i]!)) i++;
      } else if (style === 3 && c === '\\') i += raw[i + 1] === 'x' ? 4 : raw[i + 1] === 'u' ? 6 : 2;
      else if (style === 2 && c === "'" && raw[i + 1] === "'") i += 2;
      else i++;
    }
    this.i = i;
    this.v = v;
    return i;
  }
}

/** Maps offsets inside one VQL scalar to positions in the YAML text (built once per field). */
function queryLocator(text: string, index: LineIndex, q: QueryLocation): (offset: number) => { line: number; column: number } {
  const n = q.node;
  const value = q.text;
  const trimmed = value.trimEnd().length;
  const start = Math.max(0, n.start);
  if (n.style === 4 || n.style === 5 || q.lineIndents) {
    // Block scalars, and multi-line plain VQL kept line by line: line-based mapping.
    const base = index.position(start);
    const inner = new LineIndex(value);
    const indents = q.lineIndents;
    return (offset) => {
      // An error at the end of input points just after the last character, not on the next line.
      const p = inner.position(Math.min(offset, trimmed));
      if (indents) {
        return p.line === 1
          ? { line: base.line, column: base.column + p.column - 1 }
          : { line: base.line + p.line - 1, column: (indents[p.line - 1] ?? 0) + p.column };
      }
      return { line: base.line + p.line - 1, column: Math.max(0, n.indent) + p.column };
    };
  }
  const cursor = new RawCursor(text.slice(start, n.end), n.style);
  return (offset) => index.position(start + cursor.at(Math.min(offset, trimmed)));
}

/** Problems kept per file: past this one more says how many were left out. */
export const MAX_FILE_PROBLEMS = 100;

/** The first MAX_FILE_PROBLEMS problems, plus one that counts the rest. */
function capProblems(problems: ArtifactProblem[], file: string): ArtifactProblem[] {
  if (problems.length <= MAX_FILE_PROBLEMS) return problems;
  const rest = problems.length - MAX_FILE_PROBLEMS;
  const kept = problems.slice(0, MAX_FILE_PROBLEMS);
  const last = kept[kept.length - 1]!;
  const severity = problems.slice(MAX_FILE_PROBLEMS).some((p) => p.severity === 'error') ? 'error' : 'warning';
  kept.push({ file, line: last.line, column: last.column, severity, message: `${rest} more problems in this file are not listed` });
  return kept;
}

/** The size refusal as a problem at 1:1, or undefined. */
export function sizeProblem(file: string, bytes: number): ArtifactProblem | undefined {
  const message = artifactSizeProblem(bytes);
  return message ? { file, line: 1, column: 1, message: `${message}: it was not loaded`, severity: 'error' } : undefined;
}

/**
 * Loads an artifact from YAML text. Never throws for bad input: problems are returned. A text
 * over MAX_ARTIFACT_BYTES is refused before any parsing.
 */
export function loadArtifactText(raw: string, file = '<text>', builtIn = false): LoadResult {
  const tooBig = sizeProblem(file, utf8Size(raw));
  if (tooBig) return { problems: [tooBig] };
  const r = loadWithinLimit(raw, file, builtIn);
  return r.problems.length > MAX_FILE_PROBLEMS ? { ...r, problems: capProblems(r.problems, file) } : r;
}

function loadWithinLimit(raw: string, file: string, builtIn: boolean): LoadResult {
  const text = sanitizeArtifactYaml(raw);
  const index = new LineIndex(text);
  const at = (offset: number) => index.position(Math.max(0, offset));
  const problems: ArtifactProblem[] = [];
  const push = (offset: number, message: string, severity: 'error' | 'warning' = 'error') => {
    const { line, column } = at(offset);
    problems.push({ file, line, column, message, severity });
  };
  let root;
  try {
    root = parseYamlTree(text);
  } catch (e) {
    if (e instanceof YamlSyntaxError) {
      const line = e.line ?? at(e.offset).line;
      // Where the parser noticed is not always where the fault is: name the likely line too.
      problems.push({ file, line, column: e.column ?? at(e.offset).column, message: `YAML: ${e.message}${yamlErrorHint(text, line)}`, severity: 'error' });
      return { problems };
    }
    throw e;
  }
  if (!root) {
    push(0, 'empty file: an artifact needs at least a name and a source');
    return { problems };
  }
  const decoded = decodeArtifact(root, ARTIFACT_SCHEMA, text);
  for (const p of decoded.problems) push(p.offset, p.message, p.severity);
  const byField = new Map(decoded.queries.map((q) => [q.field, q]));
  const locators = new Map<string, (offset: number) => { line: number; column: number }>();
  const locate = (field: string, offset: number) => {
    const q = byField.get(field);
    if (!q) return at(0);
    let l = locators.get(field);
    if (!l) locators.set(field, (l = queryLocator(text, index, q)));
    return l(offset);
  };
  const rootStart = root.start;
  const v = validateArtifact(decoded.value, {
    locateQuery: locate,
    at: (field) => at(decoded.positions.get(field) ?? rootStart),
  });
  for (const p of v.problems) problems.push({ file, ...p });
  if (!v.artifact || problems.some((p) => p.severity === 'error')) return { problems };
  const position = (field: string) => at(decoded.positions.get(field) ?? rootStart);
  return { loaded: { artifact: v.artifact, file, raw, builtIn, locate, position }, problems };
}

/**
 * Loads an artifact file. A file that cannot be read is one problem at 1:1; so is a file over
 * MAX_ARTIFACT_BYTES, which is refused from its size alone (stat), without reading it.
 */
export function loadArtifactFile(path: string, builtIn = false): LoadResult {
  let raw: string;
  try {
    const bytes = readBounded(path);
    if (typeof bytes === 'number') return { problems: [sizeProblem(path, bytes)!] };
    raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  } catch (e) {
    return { problems: [{ file: path, line: 1, column: 1, message: `cannot read: ${(e as Error).message}`, severity: 'error' }] };
  }
  return loadArtifactText(raw, path, builtIn);
}

/**
 * The bytes of a file within MAX_ARTIFACT_BYTES, or its size when it is larger. The size is
 * taken from the open file (fstat) and the read stops one byte past the limit, so a file that
 * grows in between is caught too, and no more than the limit is ever held in memory.
 */
function readBounded(path: string): Uint8Array | number {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_ARTIFACT_BYTES) return size;
    // One byte more than the file should hold: filling it means the file grew since fstat.
    let buf = new Uint8Array(size + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) return buf.subarray(0, n);
      n += got;
      if (n > MAX_ARTIFACT_BYTES) return Math.max(n, fstatSync(fd).size);
      if (n === buf.length) {
        const bigger = new Uint8Array(MAX_ARTIFACT_BYTES + 1);
        bigger.set(buf);
        buf = bigger;
      }
    }
  } finally {
    closeSync(fd);
  }
}
