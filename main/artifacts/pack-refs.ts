/**
 * What an artifact's VQL names, for the pack exporter: `Artifact.X` references (renamed by a
 * prefix), plugin and function calls (checked against what a Velociraptor client has) and
 * string literals (an artifact named in a string is not renamed). Offsets are into each VQL
 * field's text; `LoadedArtifact.locate` maps them to the file.
 */
import { parseScript, walk, type Statement } from '../vql/index.ts';
import type { Artifact } from './schema.ts';

/** One VQL text of an artifact and its field path (`sources.1.query`). */
export interface VqlField {
  readonly field: string;
  readonly text: string;
}

/** A name used at `offset` of `field`'s text. */
export interface VqlUse {
  readonly field: string;
  readonly offset: number;
  readonly name: string;
}

export interface VqlScan {
  /** `Artifact.X(...)` calls and references; `offset` is where `X` starts. */
  readonly artifacts: VqlUse[];
  readonly plugins: VqlUse[];
  readonly functions: VqlUse[];
  /** String literals (decoded value); `offset` is the literal's start. */
  readonly strings: VqlUse[];
  /** Names defined by LET anywhere in the artifact: calls to them are not builtins. */
  readonly lets: Set<string>;
}

/** Every VQL text of an artifact (after loading: the deprecated `queries:` list is joined into `query`). */
export function vqlFields(a: Artifact): VqlField[] {
  const out: VqlField[] = [];
  if (a.precondition?.trim()) out.push({ field: 'precondition', text: a.precondition });
  if (a.export?.trim()) out.push({ field: 'export', text: a.export });
  (a.sources ?? []).forEach((s, i) => {
    if (s.precondition?.trim()) out.push({ field: `sources.${i}.precondition`, text: s.precondition });
    if (s.query?.trim()) out.push({ field: `sources.${i}.query`, text: s.query });
  });
  return out;
}

const PREFIX = 'Artifact.';

/** Offset of `X` in `Artifact.X` written at `start` (after a negation), or -1 if not written plainly. */
function nameOffset(text: string, start: number, name: string): number {
  const at = text[start] === '-' ? start + 1 : start;
  return text.startsWith(PREFIX + name, at) ? at + PREFIX.length : -1;
}

/** Scans every VQL field of `a`. Fields that do not parse are skipped (the loader reported them). */
export function scanArtifact(a: Artifact): VqlScan {
  const scan: VqlScan = { artifacts: [], plugins: [], functions: [], strings: [], lets: new Set() };
  for (const { field, text } of vqlFields(a)) {
    let statements: readonly Statement[];
    try {
      statements = parseScript(text).statements;
    } catch {
      continue;
    }
    for (const st of statements) {
      if (st.kind === 'Let') scan.lets.add(st.name.name);
      walk(st, (node) => {
        if (node.kind === 'String' && typeof node.value === 'string') {
          scan.strings.push({ field, offset: node.span.start, name: node.value });
          return true;
        }
        const call = node.kind === 'Select' && node.from.args !== undefined ? { parts: node.from.parts, start: node.from.span.start, list: scan.plugins }
          : node.kind === 'Symbol' && node.args !== undefined ? { parts: node.parts, start: node.span.start, list: scan.functions } : null;
        if (!call) return true;
        const name = call.parts.map((p) => p.name).join('.');
        if (name.startsWith(PREFIX)) {
          const target = name.slice(PREFIX.length);
          // A reference written with backticks or spaces has no plain offset: -1 tells the
          // rewriter to fall back to re-writing the whole file.
          scan.artifacts.push({ field, offset: nameOffset(text, call.start, target), name: target });
        } else if (call.parts.length === 1) {
          call.list.push({ field, offset: call.start, name });
        }
        return true;
      });
    }
  }
  return scan;
}
