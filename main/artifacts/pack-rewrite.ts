/**
 * Rewrites an artifact file for a Velociraptor pack by editing its text in place, so comments
 * and layout survive: the name, aliases and `Artifact.X` references (a prefix), `imports` entries,
 * the type in upper case, parameter defaults that YAML would read as numbers, booleans, dates
 * or null quoted as strings, a single value given for a list field made a list, and the
 * repository's internal fields dropped (VELOCIRAPTOR.md 6.4). Aliases are names too: they get
 * the prefix with the name. The starting point is the text
 * after Velociraptor's own sanitising (LF line ends, bare `query:` made `query: |`), which is
 * also what the checklist asks for. When an edit cannot be placed exactly (a folded `>` query,
 * the deprecated `queries:` list), the artifact is written out anew instead and the result
 * says why: comments are then lost.
 */
import * as yaml from 'js-yaml';
import { ARTIFACT_SCHEMA, INTERNAL_FIELDS, type Artifact, type FieldSpec } from './schema.ts';
import { sanitizeArtifactYaml, type LoadedArtifact } from './loader.ts';
import { parseYamlTree, type YNode, type YScalar } from './yaml-tree.ts';
import { scanArtifact } from './pack-refs.ts';

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export interface Rewritten {
  /** The file to put in the pack. */
  readonly text: string;
  /** Set when the artifact had to be written out anew (comments lost): why. */
  readonly redumped?: string;
}

const PLAIN = 1;
/** Plain scalars that YAML 1.1 (Velociraptor's Go YAML) reads as something other than text. */
const NOT_TEXT = /^(?:~|null|y|n|yes|no|true|false|on|off|[-+]?\.(?:inf|nan)|[-+]?\.?[0-9].*)$/i;

class Unplaceable extends Error {}

/** The source range of a scalar including its quotes. */
function outerRange(n: YScalar): [number, number] {
  return n.style === 2 || n.style === 3 ? [n.start - 1, n.end + 1] : [n.start, n.end];
}

/** Visits every scalar of the tree with the schema field it decodes into. */
function visitScalars(node: YNode, spec: FieldSpec, path: string, visit: (n: YScalar, spec: FieldSpec, path: string, key?: YScalar) => void, key?: YScalar): void {
  if (node.kind === 'scalar') {
    visit(node, spec, path, key);
  } else if (node.kind === 'map' && spec.type === 'object') {
    for (const e of node.entries) {
      const f = spec.fields[e.key.value];
      if (f) visitScalars(e.value, f, path ? `${path}.${e.key.value}` : e.key.value, visit, e.key);
    }
  } else if (node.kind === 'seq' && (spec.type === 'list' || spec.type === 'strings')) {
    const of: FieldSpec = spec.type === 'list' ? spec.of : { type: spec.vql ? 'vql' : 'string' };
    node.items.forEach((item, i) => visitScalars(item, of, `${path}.${i}`, visit));
  }
}

/** Offsets of the start of each line. */
function lineStarts(text: string): number[] {
  const out = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') out.push(i + 1);
  return out;
}

/** The edits that make `text` (sanitized) ready for a pack. Throws Unplaceable. */
function editsFor(loaded: LoadedArtifact, text: string, renames: ReadonlyMap<string, string>): Edit[] {
  const root = parseYamlTree(text);
  if (!root || root.kind !== 'map') throw new Unplaceable('the file is not a mapping');
  const edits: Edit[] = [];
  const replace = (n: YScalar, value: string) => {
    if (n.start < 0 || n.style > 3) throw new Unplaceable(`cannot edit the value of ${value} in place`);
    edits.push({ start: n.start, end: n.end, text: value });
  };
  // Top-level internal fields (raw, compiled...): the whole entry goes, up to the next key.
  const starts = lineStarts(text);
  const lineOf = (offset: number) => text.lastIndexOf('\n', offset - 1) + 1;
  root.entries.forEach((e, i) => {
    if (!INTERNAL_FIELDS.has(e.key.value)) return;
    if (text[root.start] === '{') throw new Unplaceable(`the internal field ${e.key.value} sits in a one-line mapping`);
    const next = root.entries[i + 1];
    edits.push({ start: lineOf(e.key.start), end: next ? lineOf(next.key.start) : text.length, text: '' });
  });
  visitScalars(root, ARTIFACT_SCHEMA, '', (n, spec, path, key) => {
    if (path === 'name' && renames.has(n.value)) replace(n, renames.get(n.value)!);
    else if (path === 'type' && !n.isNull && n.value !== n.value.trim().toUpperCase()) replace(n, n.value.trim().toUpperCase());
    else if (/^(imports|aliases)\.\d+$/.test(path) && renames.has(n.value)) replace(n, renames.get(n.value)!);
    else if (/(^|\.)parameters\.\d+\.default$/.test(path) && n.style === PLAIN && (n.isNull || NOT_TEXT.test(n.value))) {
      if (n.start >= 0) edits.push({ start: n.start, end: n.end, text: JSON.stringify(n.isNull ? '' : n.value) });
      else if (key) edits.push({ start: text.indexOf(':', key.end) + 1, end: text.indexOf(':', key.end) + 1, text: ' ""' });
    } else if (spec.type === 'strings' && !n.isNull) {
      // One value where the schema has a list: Go's strict YAML refuses it, so make it a list.
      if (n.style > 3 || (n.style === PLAIN && text.slice(n.start, n.end).includes('\n'))) throw new Unplaceable(`${path} is one multi-line value where a list is expected`);
      const value = (path === 'imports' || path === 'aliases') && renames.has(n.value) ? renames.get(n.value)! : n.value;
      const [start, end] = outerRange(n);
      edits.push({ start, end, text: `[${JSON.stringify(value)}]` });
    }
  });
  // `Artifact.X` references inside VQL, placed through the loader's query-to-file mapping.
  for (const use of scanArtifact(loaded.artifact).artifacts) {
    const to = renames.get(use.name);
    if (to === undefined || to === use.name) continue;
    if (use.offset < 0) throw new Unplaceable(`the reference to ${use.name} in ${use.field} is not written plainly`);
    const { line, column } = loaded.locate(use.field, use.offset);
    const at = (starts[line - 1] ?? -1) + column - 1;
    if (at < 0 || text.slice(at, at + use.name.length) !== use.name) throw new Unplaceable(`the reference to ${use.name} in ${use.field} cannot be placed in the file`);
    edits.push({ start: at, end: at + use.name.length, text: to });
  }
  return edits;
}

/** Applies non-overlapping edits (any order). */
function applyEdits(text: string, edits: Edit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start);
  let out = text;
  let limit = Infinity;
  for (const e of sorted) {
    if (e.end > limit) throw new Unplaceable('two edits overlap');
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
    limit = e.start;
  }
  return out;
}

/** Key order of a re-written artifact: Velociraptor's usual order, then the rest. */
const KEY_ORDER = ['name', 'aliases', 'description', 'author', 'reference', 'references', 'type', 'parameters', 'precondition', 'imports', 'export', 'sources'];

/** The artifact written anew: canonical type, renamed references, literal blocks for VQL. */
export function dumpArtifact(a: Artifact, renames: ReadonlyMap<string, string>): string {
  const rename = (vql: string | undefined) =>
    vql === undefined ? undefined : vql.replace(/\bArtifact\.([A-Za-z0-9_.]+)/g, (m, n: string) => (renames.has(n) ? `Artifact.${renames.get(n)}` : m));
  const copy: Record<string, unknown> = {
    ...a,
    name: renames.get(a.name) ?? a.name,
    type: a.type.toUpperCase(),
    precondition: rename(a.precondition),
    export: rename(a.export),
    aliases: a.aliases?.map((n) => renames.get(n) ?? n),
    imports: a.imports?.map((n) => renames.get(n) ?? n),
    sources: a.sources?.map((s) => ({ ...s, precondition: rename(s.precondition), query: rename(s.query) })),
  };
  const ordered: Record<string, unknown> = {};
  for (const k of [...KEY_ORDER, ...Object.keys(copy)]) if (copy[k] !== undefined && !(k in ordered)) ordered[k] = copy[k];
  return yaml.dump(ordered, { lineWidth: -1, noRefs: true, quoteStyle: 'double' });
}

/**
 * The pack file of `loaded`: its text with the pack edits, or the artifact written anew when
 * an edit cannot be placed. `renames` maps original names to names in the pack.
 */
export function rewriteArtifact(loaded: LoadedArtifact, renames: ReadonlyMap<string, string>): Rewritten {
  const text = sanitizeArtifactYaml(loaded.raw);
  try {
    return { text: applyEdits(text, editsFor(loaded, text, renames)) };
  } catch (e) {
    if (!(e instanceof Unplaceable)) throw e;
    return { text: dumpArtifact(loaded.artifact, renames), redumped: e.message };
  }
}
