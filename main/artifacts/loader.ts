/**
 * Loading an artifact file the way Velociraptor does (VELOCIRAPTOR.md 1.1): sanitize the
 * text, strictly decode the YAML, normalize, validate. Every problem names the file, line and
 * column; a VQL error inside a `query: |` block points at the line of the YAML file.
 */
import { readFileSync } from 'node:fs';
import { positionAt } from '../vql/index.ts';
import { ARTIFACT_SCHEMA, type Artifact } from './schema.ts';
import { decodeArtifact, type QueryLocation } from './decode.ts';
import { parseYamlTree, YamlSyntaxError } from './yaml-tree.ts';
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
 * one character of the value.
 */
function rawOffset(raw: string, offset: number, style: number): number {
  let i = 0;
  for (let v = 0; v < offset && i < raw.length; v++) {
    const c = raw[i];
    if (c === '\n') {
      while (i < raw.length && /\s/.test(raw[i]!)) i++;
    } else if (style === 3 && c === '\\') i += raw[i + 1] === 'x' ? 4 : raw[i + 1] === 'u' ? 6 : 2;
    else if (style === 2 && c === "'" && raw[i + 1] === "'") i += 2;
    else i++;
  }
  return i;
}

/** Maps an offset inside a VQL scalar to a position in the YAML text. */
function locateIn(text: string, q: QueryLocation, offset: number): { line: number; column: number } {
  const n = q.node;
  const value = q.text;
  // An error at the end of input points just after the last character, not on the next line.
  const at = Math.min(offset, value.trimEnd().length);
  if (n.style === 4 || n.style === 5 || q.lineIndents) {
    // Block scalars, and multi-line plain VQL kept line by line: line-based mapping.
    const base = positionAt(text, Math.max(0, n.start));
    const inner = positionAt(value, at);
    if (q.lineIndents) {
      return inner.line === 1
        ? { line: base.line, column: base.column + inner.column - 1 }
        : { line: base.line + inner.line - 1, column: (q.lineIndents[inner.line - 1] ?? 0) + inner.column };
    }
    return { line: base.line + inner.line - 1, column: Math.max(0, n.indent) + inner.column };
  }
  return positionAt(text, Math.max(0, n.start) + rawOffset(text.slice(Math.max(0, n.start), n.end), at, n.style));
}

/** Loads an artifact from YAML text. Never throws for bad input: problems are returned. */
export function loadArtifactText(raw: string, file = '<text>', builtIn = false): LoadResult {
  const text = sanitizeArtifactYaml(raw);
  const at = (offset: number) => positionAt(text, Math.max(0, offset));
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
      problems.push({ file, line: e.line ?? at(e.offset).line, column: e.column ?? at(e.offset).column, message: `YAML: ${e.message}`, severity: 'error' });
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
  const locate = (field: string, offset: number) => {
    const q = byField.get(field);
    return q ? locateIn(text, q, offset) : at(0);
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

/** Loads an artifact file. A file that cannot be read is one problem at 1:1. */
export function loadArtifactFile(path: string, builtIn = false): LoadResult {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    return { problems: [{ file: path, line: 1, column: 1, message: `cannot read: ${(e as Error).message}`, severity: 'error' }] };
  }
  return loadArtifactText(raw, path, builtIn);
}
