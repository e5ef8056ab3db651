/**
 * The static checks of `vql artifacts verify` beyond loading: calls to plugins, functions and
 * artifacts that this engine does not know. They are warnings (the artifact may target a
 * platform or a server we do not emulate); `--strict` makes them failures.
 */
import { parseScript, walk, type Registry, type Statement } from '../vql/index.ts';
import type { ArtifactProblem, LoadedArtifact, Repository } from '../artifacts/index.ts';

export interface QueryField {
  field: string;
  text: string;
}

/** Every VQL text of an artifact with its field path (`precondition`, `sources.1.query`...). */
export function queryFields(loaded: LoadedArtifact): QueryField[] {
  const a = loaded.artifact;
  const out: QueryField[] = [];
  if (a.precondition) out.push({ field: 'precondition', text: a.precondition });
  if (a.export) out.push({ field: 'export', text: a.export });
  (a.sources ?? []).forEach((s, i) => {
    if (s.precondition) out.push({ field: `sources.${i}.precondition`, text: s.precondition });
    if (s.query) out.push({ field: `sources.${i}.query`, text: s.query });
  });
  return out;
}

/** Names defined by LET anywhere in the artifact (and its imports): they are not unknown calls. */
function letNames(statements: Statement[]): Set<string> {
  const names = new Set<string>();
  for (const st of statements) if (st.kind === 'Let') names.add(st.name.name);
  return names;
}

export function lintArtifact(loaded: LoadedArtifact, registry: Registry, repo: Repository): ArtifactProblem[] {
  const problems: ArtifactProblem[] = [];
  const parsed: Array<{ field: string; statements: Statement[] }> = [];
  for (const q of queryFields(loaded)) {
    try {
      parsed.push({ field: q.field, statements: [...parseScript(q.text).statements] });
    } catch {
      continue; // parse errors were already reported by the loader
    }
  }
  const defined = letNames(parsed.flatMap((p) => p.statements));
  for (const [i, imp] of (loaded.artifact.imports ?? []).entries()) {
    const dep = repo.get(imp);
    if (!dep) {
      problems.push({ file: loaded.file, ...loaded.position(`imports.${i}`), severity: 'error', message: `Artifact ${loaded.artifact.name} imports ${imp} which is not known` });
      continue;
    }
    try {
      for (const n of letNames([...parseScript(dep.artifact.export ?? '').statements])) defined.add(n);
    } catch {
      continue; // the imported artifact's own problems are reported when it is verified
    }
  }
  const params = new Set((loaded.artifact.parameters ?? []).map((p) => p.name));
  const warn = (field: string, offset: number, message: string, severity: 'warning' | 'error' = 'warning') => {
    const { line, column } = loaded.locate(field, offset);
    problems.push({ file: loaded.file, line, column, severity, message });
  };
  for (const { field, statements } of parsed) {
    for (const st of statements) {
      walk(st, (node) => {
        if (node.kind === 'Select' && node.from.args !== undefined) {
          const name = node.from.parts.map((p) => p.name).join('.');
          if (name.startsWith('Artifact.')) {
            const art = name.slice('Artifact.'.length);
            if (!repo.get(art)) warn(field, node.from.span.start, `unknown artifact ${art}`);
          } else if (!registry.findPlugin(name) && !defined.has(name) && !params.has(name)) {
            warn(field, node.from.span.start, `unknown plugin ${name}()`);
          }
        } else if (node.kind === 'Symbol' && node.args !== undefined && node.parts.length === 1) {
          const name = node.parts[0]!.name;
          if (!registry.functions.has(name) && !defined.has(name) && !params.has(name)) warn(field, node.span.start, `unknown function ${name}()`);
        }
        return true;
      });
    }
  }
  return problems;
}
